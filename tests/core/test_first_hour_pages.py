"""What a newcomer meets in the admin and on the public pages: money in one format,
meaningful names in the review queue, a start page, and times in the agent's zone."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fees.models import FlagRule, RegistrationFlag
from tallies.models import BranchTarget
from tests.builders import REGISTRATIONS, body, post

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(
        get_user_model().objects.create_superuser(username="root", password="x" * 12)
    )
    return client


def test_money_in_admin_lists_is_in_rupiah_with_dots(admin_client, kendari):
    BranchTarget.objects.create(
        branch=kendari, year=2026, new_participants=1_980, contributions=950_000_000
    )
    html = admin_client.get("/admin/tallies/branchtarget/").content.decode()
    assert f"Rp{NBSP}950.000.000" in html
    assert "950000000" not in html


def test_the_review_queue_names_the_participant_agent_and_date(admin_client, client_a, agent_a):
    registration_id = post(client_a, body(1)).json()["id"]
    from enrollments.models import Registration

    registration = Registration.objects.select_related("participant").get(pk=registration_id)
    RegistrationFlag.objects.create(
        registration=registration, branch=registration.branch, rule=FlagRule.STAFF
    )
    html = admin_client.get("/admin/fees/registrationflag/").content.decode()
    assert registration.payment_code in html
    assert registration.participant.full_name in html
    assert agent_a.code in html
    assert str(registration.client_uuid) not in html


def test_view_site_leads_to_a_start_page(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert 'href="/"' in index
    home = Client(HTTP_ACCEPT_LANGUAGE="id").get("/")
    assert home.status_code == 200
    assert 'href="/admin/"' in home.content.decode()


def test_agent_facing_times_are_in_the_agents_zone(client_a, agent_a):
    """A Kendari (WITA) agent reads +08:00 times, not the server's +07:00."""
    assert agent_a.branch.time_zone == "Asia/Makassar"
    captured = datetime.datetime(2026, 11, 20, 1, 30, tzinfo=datetime.UTC)
    registration = post(
        client_a,
        body(
            1,
            captured_at=captured.isoformat(),
            consent={"given": True, "method": "signature", "at": captured.isoformat()},
        ),
    ).json()
    assert registration["captured_at"] == "2026-11-20T09:30:00+08:00"
    detail = client_a.get(f"{REGISTRATIONS}/{registration['id']}").json()
    assert detail["captured_at"] == "2026-11-20T09:30:00+08:00"
    assert detail["created_at"].endswith("+08:00")
