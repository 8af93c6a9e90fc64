import datetime
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from agents.models import Branch, StaffProfile
from enrollments import coverage
from enrollments import services as enrollment_services
from enrollments.models import Participant, PaymentLine, Registration
from tallies.models import BranchTarget, DailyTally
from tallies.services import tallies_backfill, tallies_recompute
from tests.agents.factories import BranchFactory
from tests.builders import active_agent, pay, register, staff
from tests.core.factories import RegencyFactory

pytestmark = pytest.mark.django_db

d = datetime.date
UTC = datetime.UTC


def reference(branch: Branch, day: datetime.date) -> dict[str, int]:
    """The same figures the slow, obvious way: row by row in Python."""
    zone = branch.zone
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    cutoff = coverage.lapse_cutoff(day)
    participants = list(Participant.objects.filter(branch=branch))
    lines = list(PaymentLine.objects.filter(branch=branch))
    return {
        "new_registrations": sum(
            1 for r in Registration.objects.filter(branch=branch) if start <= r.created_at < end
        ),
        "new_activations": sum(
            1 for p in participants if p.activated_at is not None and start <= p.activated_at < end
        ),
        "active_participants": sum(
            1
            for p in participants
            if p.activated_at is not None
            and p.activated_at < end
            and p.paid_through is not None
            and p.paid_through >= cutoff
        ),
        "non_active_participants": sum(
            1
            for p in participants
            if p.activated_at is not None
            and p.activated_at < end
            and p.paid_through is not None
            and p.paid_through < cutoff
        ),
        "contributions_received": sum(
            line.amount
            for line in lines
            if start <= line.paid_at < end and line.reversed_at is None
        ),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_match_a_reference_computation_on_random_histories(
    seed, kendari, channel, no_auto_recompute
):
    rng = random.Random(seed)
    agent = active_agent(kendari)
    base = datetime.datetime(2026, 9, 1, tzinfo=UTC)
    registrations = []
    for n in range(1, 26):
        registration = register(agent, 100 * seed + n, captured=base)
        Registration.objects.filter(pk=registration.pk).update(
            created_at=base + datetime.timedelta(hours=rng.randrange(0, 24 * 40))
        )
        registrations.append(registration)
    for registration in registrations:
        for _ in range(rng.randrange(0, 3)):
            when = base + datetime.timedelta(hours=rng.randrange(0, 24 * 60))
            answer = pay(channel, registration, months=rng.choice((1, 3)), at=when)
            if rng.random() < 0.15:
                enrollment_services.payment_reverse(channel=channel, channel_ref=answer.channel_ref)
    days = [d(2026, 9, 1) + datetime.timedelta(days=rng.randrange(0, 60)) for _ in range(6)]
    for day in days:
        tallies_recompute(day=day)
        tally = DailyTally.objects.get(branch=kendari, date=day)
        stored = {name: getattr(tally, name) for name in reference(kendari, day)}
        assert stored == reference(kendari, day), day


def test_recomputing_a_day_again_changes_nothing(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    pay(channel, register(agent, 1), months=1, at=datetime.datetime(2026, 10, 5, 3, tzinfo=UTC))
    tallies_recompute(day=d(2026, 10, 5))
    first = list(
        DailyTally.objects.values(
            *["branch_id", "date", "new_activations", "contributions_received"]
        )
    )
    tallies_recompute(day=d(2026, 10, 5))
    assert (
        list(
            DailyTally.objects.values(
                "branch_id", "date", "new_activations", "contributions_received"
            )
        )
        == first
    )
    assert DailyTally.objects.count() == 1


def test_each_branch_counts_its_own_day_either_side_of_midnight_utc(
    region, channel, no_auto_recompute
):
    jakarta = BranchFactory.create(
        code="JKT",
        region=region,
        regency=RegencyFactory.create(code="3171", name="Jaksel"),
        time_zone=Branch.TimeZone.WIB_JAKARTA,
    )
    jayapura = BranchFactory.create(
        code="JAP",
        region=region,
        regency=RegencyFactory.create(code="9171", name="Kota Jayapura"),
        time_zone=Branch.TimeZone.WIT,
    )
    moment = datetime.datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 WIB, 01:30 WIT on 1 Dec
    for number, branch in enumerate((jakarta, jayapura), start=1):
        registration = register(active_agent(branch), number)
        Registration.objects.filter(pk=registration.pk).update(created_at=moment)
    tallies_backfill(first=d(2026, 11, 30), last=d(2026, 12, 1))
    counts = {
        (t.branch.code, t.date): t.new_registrations
        for t in DailyTally.objects.select_related("branch")
    }
    assert counts == {
        ("JKT", d(2026, 11, 30)): 1,
        ("JKT", d(2026, 12, 1)): 0,
        ("JAP", d(2026, 11, 30)): 0,
        ("JAP", d(2026, 12, 1)): 1,
    }


@pytest.fixture
def tallied(kendari, manado, channel, no_auto_recompute):
    BranchTarget.objects.create(branch=kendari, year=2021, new_participants=1_980, contributions=1)
    BranchTarget.objects.create(branch=manado, year=2021, new_participants=1_000, contributions=1)
    DailyTally.objects.create(
        branch=kendari,
        date=d(2021, 3, 21),
        new_registrations=344,
        new_activations=300,
        active_participants=290,
        non_active_participants=10,
        contributions_received=5_000_000,
        active_agents=12,
        productive_agents=9,
        computed_at=datetime.datetime.now(UTC),
    )
    DailyTally.objects.create(
        branch=manado,
        date=d(2021, 3, 21),
        new_registrations=400,
        new_activations=1,
        active_participants=1,
        non_active_participants=0,
        contributions_received=1,
        active_agents=1,
        productive_agents=1,
        computed_at=datetime.datetime.now(UTC),
    )
    return kendari, manado


def test_the_api_gives_branch_staff_their_branch_only(tallied, kendari):
    client = APIClient()
    client.force_authenticate(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    body = client.get("/api/v1/tallies", {"year": "2021"}).json()
    computed_at = body["results"][0].pop("computed_at")
    assert datetime.datetime.fromisoformat(computed_at) > datetime.datetime(2026, 1, 1, tzinfo=UTC)
    assert body == {
        # Kendari alone is not the region, nor the nation: no roll-up rows.
        "regions": [],
        "nation": None,
        "results": [
            {
                "branch": {"code": "KDI", "name": "Kendari"},
                "as_of": "2021-03-21",
                "target_new_participants": 1_980,
                "new_participants": 344,
                "realisation_pct": 17.4,
                "expected_pct": 21.9,
                "forecast_year_end": 1_570,
                "active_participants": 290,
                "non_active_participants": 10,
                "contributions_received": 5_000_000,
                "target_contributions": 1,
                "active_agents": 12,
                "productive_agents": 9,
            }
        ],
    }
    csv_body = client.get("/api/v1/tallies", {"year": "2021", "format": "csv"}).content.decode()
    assert csv_body.splitlines()[1].startswith(
        "branch,KDI,Kendari,2021-03-21,1980,344,17.4,21.9,1570"
    )
    assert "MDO" not in csv_body


def test_regional_staff_and_filters(tallied, region):
    client = APIClient()
    client.force_authenticate(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    codes = [
        row["branch"]["code"]
        for row in client.get("/api/v1/tallies", {"year": "2021"}).json()["results"]
    ]
    assert codes == ["KDI", "MDO"]
    filtered = client.get("/api/v1/tallies", {"year": "2021", "branch": "MDO"}).json()["results"]
    assert [row["branch"]["code"] for row in filtered] == ["MDO"]


def _tally(branch: Branch, day: datetime.date) -> None:
    BranchTarget.objects.create(branch=branch, year=day.year, new_participants=100, contributions=1)
    DailyTally.objects.create(
        branch=branch,
        date=day,
        new_registrations=3,
        new_activations=2,
        active_participants=2,
        non_active_participants=0,
        contributions_received=1,
        active_agents=1,
        productive_agents=1,
        computed_at=datetime.datetime.now(UTC),
    )


@pytest.mark.parametrize("response_format", ["json", "csv"])
def test_the_tallies_query_count_does_not_grow_with_branches(tallied, response_format):
    client = APIClient()
    user = staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)
    query = {"year": "2021", "format": response_format}
    counts = []
    for added in (0, 8):
        for _ in range(added):
            _tally(BranchFactory.create(), d(2021, 3, 21))
        # A fresh user per request, as a signed-in request gets: nothing cached on it.
        client.force_authenticate(type(user).objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/tallies", query)
        assert response.status_code == 200
        counts.append(len(captured))
    # 10 branches (2 + 8), 9 regions (KW-SULAMA and one per added branch), the nation
    assert response.content.decode().count("2021-03-21") == 20
    assert counts[0] == counts[1]


@pytest.mark.parametrize("query", [{"format": ""}, {"branch": ""}, {"as_of": "yesterday"}])
def test_malformed_tally_queries_are_400(tallied, kendari, query):
    client = APIClient()
    client.force_authenticate(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.get("/api/v1/tallies", query)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(query)


def test_agents_and_anonymous_cannot_read_tallies(tallied, kendari):
    assert APIClient().get("/api/v1/tallies").status_code == 401
    agent_client = APIClient()
    agent = active_agent(kendari)
    agent_client.force_authenticate(agent.user)
    assert agent_client.get("/api/v1/tallies").status_code == 403


@pytest.mark.parametrize(
    ("user", "query", "figures"),
    [
        (
            "branch",
            "?level=branch&code=KDI&year=2021",
            {"target": "1.980", "realised": "344", "realisation": "17,4%"},
        ),
        (
            "region",
            "?level=region&code=KW-SULAMA&year=2021",
            {"target": "2.980", "realised": "744"},
        ),
        ("head", "?year=2021", {"target": "2.980", "realised": "744"}),
    ],
)
def test_the_dashboard_renders_with_charts_for_each_level(
    tallied, region, kendari, user, query, figures
):
    profiles = {
        "branch": ("staf.kdi", StaffProfile.Level.BRANCH, {"branch": kendari}),
        "region": ("staf.sulama", StaffProfile.Level.REGION, {"region": region}),
        "head": ("staf.pusat", StaffProfile.Level.HEAD_OFFICE, {}),
    }
    username, level, scope = profiles[user]
    client = Client()
    client.force_login(staff(username, level, **scope))
    response = client.get(f"/admin/tallies/dailytally/dashboard/{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="progress"' in html and 'data-chart="bars"' in html
    assert 'data-series="Terealisasi"' in html
    for name, value in figures.items():
        assert f'data-figure="{name}">{value}<' in html


def test_branch_staff_cannot_open_another_branch_dashboard(tallied, kendari):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    assert (
        client.get(
            "/admin/tallies/dailytally/dashboard/?level=branch&code=MDO&year=2021"
        ).status_code
        == 404
    )
    nation = client.get("/admin/tallies/dailytally/dashboard/?year=2021").content.decode()
    assert "Manado" not in nation


@pytest.mark.parametrize("year", ["abc", "-1", "1999", "99999999999999999999", "2021.0"])
def test_a_dashboard_year_that_is_not_a_year_is_404(tallied, kendari, year):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    assert client.get(f"/admin/tallies/dailytally/dashboard/?year={year}").status_code == 404


def test_productive_agents_are_counted_among_the_active_ones(kendari, channel, no_auto_recompute):
    """An agent deactivated today after registering this month is no longer active, so
    is not productive either: the productive figure never exceeds the active one."""
    from agents.services import agent_deactivate

    working, leaving = active_agent(kendari), active_agent(kendari)
    register(working, 1)
    register(leaving, 2)
    agent_deactivate(agent=leaving, by=None, reason="Tidak aktif (uji)")
    today = kendari.local_today()
    tallies_recompute(day=today)
    tally = DailyTally.objects.get(branch=kendari, date=today)
    assert (tally.active_agents, tally.productive_agents) == (1, 1)


def _head_office_client() -> APIClient:
    client = APIClient()
    client.force_authenticate(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    return client


def test_the_api_rolls_branches_up_to_regions_and_the_nation(tallied, region, palangka):
    from core.models import Province
    from tallies.models import LabourForce

    LabourForce.objects.create(province_id="74", year=2018, workers=1_200_000)
    LabourForce.objects.create(
        province=Province.objects.get_or_create(code="71", defaults={"name": "Sulut"})[0],
        year=2020,
        workers=1_000_000,
    )
    head_office = _head_office_client()
    body = head_office.get("/api/v1/tallies", {"year": "2021"}).json()
    assert [row["branch"]["code"] for row in body["results"]] == ["KDI", "MDO", "PLK"]
    sulama = body["regions"][[r["code"] for r in body["regions"]].index("KW-SULAMA")]
    assert {
        key: sulama[key]
        for key in (
            "name",
            "as_of",
            "target_new_participants",
            "new_participants",
            "active_participants",
            "active_agents",
            "productive_agents",
            "labour_force",
            "coverage_pct",
        )
    } == {
        "name": region.name,
        "as_of": "2021-03-21",
        "target_new_participants": 2_980,
        "new_participants": 744,
        "active_participants": 291,
        "active_agents": 13,
        "productive_agents": 10,
        "labour_force": 2_200_000,
        "coverage_pct": 0.0,
    }
    assert body["nation"]["code"] == "ID"
    assert body["nation"]["new_participants"] == 744
    # Palangka Raya's province has no figure: the nation's coverage is unknown, not a
    # share of a partial labour force.
    assert body["nation"]["coverage_pct"] is None

    regional = APIClient()
    regional.force_authenticate(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    body = regional.get("/api/v1/tallies", {"year": "2021"}).json()
    assert [row["code"] for row in body["regions"]] == ["KW-SULAMA"]
    assert body["nation"] is None

    csv_lines = (
        head_office.get("/api/v1/tallies", {"year": "2021", "format": "csv"})
        .content.decode()
        .splitlines()
    )
    assert [line.split(",")[0] for line in csv_lines] == [
        "level",
        "branch",
        "branch",
        "branch",
        "region",
        "region",
        "nation",
    ]


def test_an_unknown_format_is_400_in_the_error_shape(tallied):
    response = _head_office_client().get("/api/v1/tallies", {"format": "xml"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["fields"]) == {"format"}


@pytest.mark.parametrize(
    "query", [{"branch": "MDO"}, {"region": "KW-KALIMANTAN"}, {"branch": "XXX"}]
)
def test_a_branch_or_region_outside_the_scope_is_404(tallied, kendari, palangka, query):
    client = APIClient()
    client.force_authenticate(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.get("/api/v1/tallies", {"year": "2021", **query})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_csv_is_a_named_attachment(tallied):
    response = _head_office_client().get(
        "/api/v1/tallies", {"year": "2021", "branch": "KDI", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="tallies-2021-KDI.csv"'


def test_branch_staff_get_no_region_page_and_see_how_old_the_figures_are(tallied, kendari, region):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    region_page = client.get(
        f"/admin/tallies/dailytally/dashboard/?level=region&code={region.code}&year=2021"
    )
    assert region_page.status_code == 404
    html = client.get(
        "/admin/tallies/dailytally/dashboard/?level=branch&code=KDI&year=2021"
    ).content.decode()
    assert 'data-figure="computed-at"' in html
    assert f"?level=region&code={region.code}" not in html
    # No labour force figure: a dash and why, not "0,0%".
    assert 'data-figure="coverage">—<' in html
    assert "Belum ada angka angkatan kerja untuk" in html
    assert "Angka dihitung pada" in html


def test_the_api_and_the_dashboard_share_one_gate(kendari):
    """Staff without the tallies' view permission (no staff group) see neither."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_user(username="tanpa.grup", is_staff=True)
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/tallies", {"year": "2021"}).status_code == 403
    browser = Client()
    browser.force_login(user)
    assert browser.get("/admin/tallies/dailytally/dashboard/").status_code == 403
