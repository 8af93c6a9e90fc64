"""The retention cohorts in the admin: read within the staff's branches, filtered and
searched, and never added, changed or deleted by anyone (the recompute writes them)."""

import datetime

import pytest
from django.test import Client

from agents.models import StaffProfile
from tallies.models import AgentRetentionCohort, RetentionCohort
from tests.builders import active_agent, staff

pytestmark = pytest.mark.django_db

d = datetime.date
BRANCH_LIST = "/admin/tallies/retentioncohort/"
AGENT_LIST = "/admin/tallies/agentretentioncohort/"
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _figures(registered: int) -> dict:
    return {
        "registered": registered,
        "paid_once": registered - 1,
        "active_3": 1,
        "active_6": None,
        "active_12": None,
        "computed_at": NOW,
    }


@pytest.fixture
def stored(kendari, manado, palangka):
    """A branch row and an agent row per branch and month (January and February 2025)."""
    agents = {}
    for branch in (kendari, manado, palangka):
        agent = agents[branch.code] = active_agent(branch)
        for month in (1, 2):
            cohort = d(2025, month, 1)
            RetentionCohort.objects.create(branch=branch, cohort=cohort, **_figures(5))
            AgentRetentionCohort.objects.create(
                agent=agent, branch=branch, cohort=cohort, **_figures(5)
            )
    return agents


def listed(client: Client, url: str, query: dict | None = None) -> list:
    response = client.get(url, query or {})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def branches_of(rows: list) -> set[str]:
    return {row.branch.code for row in rows}


@pytest.mark.parametrize("url", [BRANCH_LIST, AGENT_LIST])
@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (StaffProfile.Level.BRANCH, {"KDI"}),
        (StaffProfile.Level.REGION, {"KDI", "MDO"}),
        (StaffProfile.Level.HEAD_OFFICE, {"KDI", "MDO", "PLK"}),
    ],
)
def test_staff_list_the_cohorts_of_their_branches_only(
    stored, kendari, region, url, level, expected
):
    scope = {
        StaffProfile.Level.BRANCH: {"branch": kendari},
        StaffProfile.Level.REGION: {"region": region},
    }.get(level, {})
    user = staff("staf", level, **scope)
    assert branches_of(listed(signed_in(user), url)) == expected


@pytest.mark.parametrize("model", [RetentionCohort, AgentRetentionCohort])
def test_branch_staff_cannot_open_another_branch_cohort(stored, kendari, model):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    url = f"/admin/tallies/{model._meta.model_name}/"
    own = model.objects.filter(branch=kendari).first()
    other = model.objects.filter(branch__code="MDO").first()
    assert client.get(f"{url}{own.pk}/change/").status_code == 200
    response = client.get(f"{url}{other.pk}/change/", follow=True)
    assert response.redirect_chain  # the admin treats it as missing
    assert f"{url}{other.pk}/" not in response.content.decode()


@pytest.mark.parametrize("model", [RetentionCohort, AgentRetentionCohort])
def test_nobody_adds_changes_or_deletes_cohorts_not_even_a_superuser(
    stored, kendari, model, django_user_model
):
    superuser = django_user_model.objects.create_superuser("root", password="x-Pass-2026!")
    for user in (staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE), superuser):
        client = signed_in(user)
        url = f"/admin/tallies/{model._meta.model_name}/"
        row = model.objects.filter(branch=kendari).first()
        assert client.get(f"{url}add/").status_code == 403
        assert client.post(f"{url}add/", {"registered": "1"}).status_code == 403
        page = client.get(f"{url}{row.pk}/change/")
        assert page.status_code == 200  # a page to read
        assert 'name="registered"' not in page.content.decode()
        assert client.post(f"{url}{row.pk}/change/", {"registered": "99"}).status_code == 403
        assert client.post(f"{url}{row.pk}/delete/", {"post": "yes"}).status_code == 403
        changelist = client.get(url)
        assert "delete_selected" not in changelist.content.decode()
        assert not changelist.context["cl"].model_admin.get_actions(changelist.wsgi_request)
        client.post(url, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert model.objects.count() == 6
    assert set(model.objects.values_list("registered", flat=True)) == {5}


def test_the_lists_filter_by_cohort_month_region_and_branch(stored, region, manado):
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    february = listed(client, BRANCH_LIST, {"cohort__year": "2025", "cohort__month": "2"})
    assert {row.cohort for row in february} == {d(2025, 2, 1)}
    assert len(february) == 3
    in_region = listed(client, BRANCH_LIST, {"branch__region__id__exact": str(region.pk)})
    assert branches_of(in_region) == {"KDI", "MDO"}
    agents = listed(client, AGENT_LIST, {"branch__id__exact": str(manado.pk)})
    assert branches_of(agents) == {"MDO"}
    assert len(agents) == 2


def test_the_filters_offer_only_what_the_staff_see(stored, region):
    client = signed_in(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    response = client.get(BRANCH_LIST)
    choices = {
        spec.field_path: sorted(label for _pk, label in spec.lookup_choices)
        for spec in response.context["cl"].filter_specs
    }
    # One region only: the admin leaves out a filter with a single choice.
    assert choices == {"branch": ["KDI Kendari", "MDO Manado"]}
    assert "Palangka Raya" not in response.content.decode()


def test_the_lists_search_by_branch_name_and_agent_code(stored):
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    assert branches_of(listed(client, BRANCH_LIST, {"q": "Manado"})) == {"MDO"}
    found = listed(client, AGENT_LIST, {"q": stored["PLK"].code})
    assert {row.agent_id for row in found} == {stored["PLK"].pk}
    assert branches_of(listed(client, AGENT_LIST, {"q": "Kendari"})) == {"KDI"}


def test_a_cohort_shows_as_its_month(stored, kendari):
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    html = client.get(BRANCH_LIST).content.decode()
    assert "2025-01" in html and "2025-02" in html
