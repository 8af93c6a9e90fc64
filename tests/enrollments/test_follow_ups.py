"""The agent's follow-up work list and the contacts they record (DESIGN §8)."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agents.models import StaffProfile
from enrollments import coverage, selectors
from enrollments.apis.follow_ups import (
    FollowUpOutputSerializer,
    LastContactOutputSerializer,
    follow_up_rows,
)
from enrollments.models import DeathReport, FollowUpContact, Participant, Registration
from notifications.models import OutboundMessage
from tests.builders import agent_client, body, post, staff
from tests.races import run_together

pytestmark = pytest.mark.django_db

FOLLOW_UPS = "/api/v1/agent/follow-ups"
CONTACTS = "/api/v1/agent/follow-ups/contacts"
WITA = datetime.timezone(datetime.timedelta(hours=8))
# Noon in Kendari (WITA) on 10 December 2026: the lapse cutoff is 1 September 2026.
NOW = datetime.datetime(2026, 12, 10, 12, 0, tzinfo=WITA)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def recruit(client, paid_through: datetime.date | None, number: int | None = None) -> dict:
    registered = post(client, body(number)).json()
    Participant.objects.filter(participant_number=registered["participant_number"]).update(
        paid_through=paid_through,
        status=coverage.status_on(paid_through, TODAY),
    )
    return registered


def ids(response) -> list[int]:
    return [row["registration_id"] for row in response.json()["results"]]


def contact(for_registration: int, **changes) -> dict:
    item = {
        "client_uuid": str(uuid.uuid4()),
        "registration_id": for_registration,
        "contacted_at": (NOW - datetime.timedelta(hours=1)).isoformat(),
        "method": "visit",
        "outcome": "promised",
        "promised_on": "2026-12-15",
        "note": "Bayar setelah panen.",
    }
    item.update(changes)
    return item


# The work list ---------------------------------------------------------------------------


def test_each_bucket_lists_the_agents_own_recruits_most_urgent_first(client_a, client_b):
    never_paid = recruit(client_a, None)
    due_late = recruit(client_a, datetime.date(2026, 12, 24))
    due_soon = recruit(client_a, datetime.date(2026, 12, 10))
    in_arrears = recruit(client_a, datetime.date(2026, 10, 31))
    lapsed = recruit(client_a, datetime.date(2026, 8, 31))
    recruit(client_a, datetime.date(2027, 3, 31))  # paid well ahead: in no bucket
    recruit(client_b, datetime.date(2026, 12, 12))  # another agent's: never listed
    recruit(client_b, None)

    lists = {
        bucket: client_a.get(FOLLOW_UPS, {"bucket": bucket})
        for bucket in coverage.FOLLOW_UP_BUCKETS
    }
    assert ids(lists["awaiting_payment"]) == [never_paid["id"]]
    assert ids(lists["due"]) == [due_soon["id"], due_late["id"]]
    assert ids(lists["arrears"]) == [in_arrears["id"]]
    assert ids(lists["lapsed"]) == [lapsed["id"]]
    assert lists["due"].json()["counts"] == {
        "awaiting_payment": 1,
        "due": 2,
        "arrears": 1,
        "lapsed": 1,
    }


def test_a_recruit_on_the_list_has_what_the_agent_needs_to_collect(client_a):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    (row,) = client_a.get(FOLLOW_UPS, {"bucket": "arrears"}).json()["results"]
    monthly = registered["contribution"]["monthly_total"]
    assert row["participant_number"] == registered["participant_number"]
    assert row["nik_masked"] == registered["nik_masked"] and "nik" not in row
    assert row["phone"].startswith("+62")
    assert (row["status"], row["paid_through"], row["arrears_months"]) == (
        "active",
        "2026-10-31",
        2,
    )
    assert row["amounts"] == [{"months": m, "amount": monthly * m} for m in (1, 3, 6, 12)]
    assert row["how_to_pay"] == {"payment_code": registered["payment_code"], "virtual_accounts": []}
    assert row["last_contact"] is None

    client_a.post(CONTACTS, {"items": [contact(registered["id"])]}, format="json")
    (row,) = client_a.get(FOLLOW_UPS, {"bucket": "arrears"}).json()["results"]
    assert row["last_contact"]["outcome"] == "promised"
    assert row["last_contact"]["promised_on"] == "2026-12-15"


def test_the_rows_are_rendered_as_the_documented_serializers_render_them(agent_a, client_a):
    """The list is built by plain functions; the serializers that document it are the
    oracle: rendering a row again changes nothing, and a last contact reads as the
    serializer renders the contact itself."""
    promised = recruit(client_a, datetime.date(2026, 10, 31))
    unreachable = recruit(client_a, datetime.date(2026, 11, 30))
    recruit(client_a, datetime.date(2026, 9, 30))  # never contacted
    client_a.post(CONTACTS, {"items": [contact(promised["id"])]}, format="json")
    client_a.post(
        CONTACTS,
        {"items": [contact(unreachable["id"], outcome="unreachable", promised_on=None)]},
        format="json",
    )
    page = list(selectors.follow_ups_of_agent(agent=agent_a, bucket="arrears"))
    contacts = selectors.contact_rows_by_id([row["last_contact_id"] for row in page])
    rows = follow_up_rows(page, contacts, [("BANK-SNAP", "   88899")])

    assert FollowUpOutputSerializer(rows, many=True).data == rows
    by_registration = {c.registration_id: c for c in FollowUpContact.objects.all()}
    for row in rows:
        made = by_registration.get(row["registration_id"])
        expected = LastContactOutputSerializer(made).data if made else None
        assert row["last_contact"] == expected
    assert [row["last_contact"] is None for row in rows].count(True) == 1
    assert [row["how_to_pay"]["virtual_accounts"] for row in rows] == [
        [{"channel": "BANK-SNAP", "number": "88899" + row["participant_number"]}] for row in rows
    ]


def test_buckets_are_taken_on_the_participants_branch_date(agent_a, client_a, palangka):
    """At 23:30 in Kendari it is already the next day nowhere west of it: a paid-through
    of today is still due in Palangka Raya (WIB) and in Kendari (WITA) until midnight;
    one day later in WITA it is in arrears while WIB is still on the earlier date."""
    kendari_recruit = recruit(client_a, datetime.date(2026, 12, 10))
    palangka_recruit = recruit(client_a, datetime.date(2026, 12, 10))
    Participant.objects.filter(
        pk=Registration.objects.get(pk=palangka_recruit["id"]).participant_id
    ).update(branch=palangka)
    # 00:30 on 11 December in WITA is 23:30 on 10 December in WIB.
    with time_machine.travel(datetime.datetime(2026, 12, 11, 0, 30, tzinfo=WITA), tick=False):
        client = agent_client(agent_a)  # signed in again: the first token has expired
        assert ids(client.get(FOLLOW_UPS, {"bucket": "arrears"})) == [kendari_recruit["id"]]
        assert ids(client.get(FOLLOW_UPS, {"bucket": "due"})) == [palangka_recruit["id"]]


def test_the_list_pages_by_cursor_with_the_same_queries_whatever_the_page_size(client_a):
    made = [
        recruit(client_a, datetime.date(2026, 12, 10) + datetime.timedelta(days=n))
        for n in range(5)
    ]
    for registered in made:
        client_a.post(CONTACTS, {"items": [contact(registered["id"])]}, format="json")
    seen: list[int] = []
    page = client_a.get(FOLLOW_UPS, {"bucket": "due", "page_size": 2}).json()
    while True:
        seen += [row["registration_id"] for row in page["results"]]
        if not page["next"]:
            break
        page = client_a.get(page["next"]).json()
    assert seen == [r["id"] for r in made]

    counts = []
    for size in (1, 5):
        with CaptureQueriesContext(connection) as queries:
            response = client_a.get(FOLLOW_UPS, {"bucket": "due", "page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_an_unchanged_list_answers_304_to_its_etag_and_a_change_gives_a_new_one(client_a):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    first = client_a.get(FOLLOW_UPS, {"bucket": "arrears"})
    etag = first["ETag"]
    again = client_a.get(FOLLOW_UPS, {"bucket": "arrears"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    client_a.post(CONTACTS, {"items": [contact(registered["id"])]}, format="json")
    changed = client_a.get(FOLLOW_UPS, {"bucket": "arrears"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize("params", [{}, {"bucket": "overdue"}, {"bucket": ""}])
def test_a_missing_or_unknown_bucket_is_400(client_a, params):
    response = client_a.get(FOLLOW_UPS, params)
    assert response.status_code == 400
    assert "bucket" in response.json()["fields"]


def test_the_list_needs_a_signed_in_active_agent(api_client):
    assert api_client.get(FOLLOW_UPS, {"bucket": "due"}).status_code == 401


# Contacts --------------------------------------------------------------------------------


def test_contacts_are_recorded_once_and_a_replay_is_a_duplicate(client_a):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    items = [
        contact(registered["id"]),
        contact(registered["id"], outcome="unreachable", promised_on=None),
    ]
    first = client_a.post(CONTACTS, {"items": items}, format="json").json()["results"]
    again = client_a.post(CONTACTS, {"items": items}, format="json").json()["results"]
    assert [r["result"] for r in first] == ["created", "created"]
    assert [r["result"] for r in again] == ["duplicate", "duplicate"]
    assert [r["contact"]["id"] for r in again] == [r["contact"]["id"] for r in first]
    assert FollowUpContact.objects.count() == 2


def test_a_contact_for_someone_elses_recruit_is_invalid_and_writes_nothing(client_a, client_b):
    theirs = recruit(client_b, datetime.date(2026, 10, 31))
    (result,) = client_a.post(CONTACTS, {"items": [contact(theirs["id"])]}, format="json").json()[
        "results"
    ]
    assert result["result"] == "invalid"
    assert "registration_id" in result["error"]["fields"]
    assert not FollowUpContact.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"promised_on": "2026-12-01"}, "promised_on"),
        ({"promised_on": None}, "promised_on"),
        ({"outcome": "moved"}, "promised_on"),
        ({"outcome": "abducted", "promised_on": None}, "outcome"),
        ({"method": "pigeon"}, "method"),
        ({"contacted_at": "2026-12-11T12:00:00+08:00"}, "contacted_at"),
        ({"contacted_at": "2020-01-01T12:00:00+08:00"}, "contacted_at"),
        ({"note": "x" * 501}, "note"),
        ({"registration_id": "abc"}, "registration_id"),
    ],
)
def test_a_bad_contact_is_that_items_invalid_and_the_rest_are_recorded(client_a, changes, field):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    bad, good = contact(registered["id"], **changes), contact(registered["id"])
    results = client_a.post(CONTACTS, {"items": [bad, good]}, format="json").json()["results"]
    assert results[0]["result"] == "invalid"
    assert field in results[0]["error"]["fields"]
    assert results[1]["result"] == "created"
    assert FollowUpContact.objects.count() == 1


def test_more_than_500_contacts_in_one_request_are_refused_whole(client_a):
    registered = recruit(client_a, None)
    items = [contact(registered["id"]) for _ in range(501)]
    response = client_a.post(CONTACTS, {"items": items}, format="json")
    assert response.status_code == 400
    assert "items" in response.json()["fields"]
    assert not FollowUpContact.objects.exists()


def test_a_client_uuid_reused_for_another_recruit_is_a_conflict(client_a):
    one = recruit(client_a, None)
    other = recruit(client_a, None)
    item = contact(one["id"])
    client_a.post(CONTACTS, {"items": [item]}, format="json")
    (result,) = client_a.post(
        CONTACTS, {"items": [{**item, "registration_id": other["id"]}]}, format="json"
    ).json()["results"]
    assert result["result"] == "conflict"
    assert FollowUpContact.objects.count() == 1


def test_a_death_reported_opens_a_case_and_stops_reminders(client_a):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    item = contact(registered["id"], outcome="deceased", promised_on=None)
    client_a.post(CONTACTS, {"items": [item]}, format="json")
    client_a.post(
        CONTACTS,
        {"items": [contact(registered["id"], outcome="deceased", promised_on=None)]},
        format="json",
    )
    participant = Participant.objects.get(participant_number=registered["participant_number"])
    assert participant.reminders_stopped_at is not None
    report = DeathReport.objects.get()
    assert (report.participant, report.status, report.branch_id) == (
        participant,
        DeathReport.Status.OPEN,
        participant.branch_id,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_sent_while_the_first_is_running_records_each_contact_once(agent_a):
    client = agent_client(agent_a)
    registered = recruit(client, datetime.date(2026, 10, 31))
    items = [contact(registered["id"]) for _ in range(20)]

    def send():
        return agent_client(agent_a).post(CONTACTS, {"items": items}, format="json")

    answers = run_together(send, send, send)
    assert all(answer.status_code == 200 for answer in answers)
    assert FollowUpContact.objects.count() == 20
    for position in range(20):
        outcomes = sorted(answer.json()["results"][position]["result"] for answer in answers)
        assert outcomes == ["created", "duplicate", "duplicate"]
        assert len({answer.json()["results"][position]["contact"]["id"] for answer in answers}) == 1


# Staff -----------------------------------------------------------------------------------

DEATH_REPORTS = "/admin/enrollments/deathreport/"


def test_branch_staff_see_and_close_their_own_death_reports_only(client_a, manado, kendari, region):
    registered = recruit(client_a, datetime.date(2026, 10, 31))
    client_a.post(
        CONTACTS,
        {"items": [contact(registered["id"], outcome="deceased", promised_on=None)]},
        format="json",
    )
    report = DeathReport.objects.get()

    elsewhere = Client()
    elsewhere.force_login(staff("staf.mdo", StaffProfile.Level.BRANCH, branch=manado))
    assert registered["participant_number"] not in elsewhere.get(DEATH_REPORTS).content.decode()
    elsewhere.post(DEATH_REPORTS, {"action": "close", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == DeathReport.Status.OPEN

    regional = Client()
    regional.force_login(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    regional.post(DEATH_REPORTS, {"action": "close", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == DeathReport.Status.OPEN  # the region looks on

    branch = Client()
    branch.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    assert registered["participant_number"] in branch.get(DEATH_REPORTS).content.decode()
    branch.post(DEATH_REPORTS, {"action": "close", "_selected_action": [report.pk]})
    report.refresh_from_db()
    assert report.status == DeathReport.Status.CLOSED
    assert "staf.kdi" in report.resolution


QUEUE = "/admin/enrollments/followupqueueentry/"


def test_the_branch_queue_lists_who_is_lapsing_exports_and_reminds(
    client_a, kendari, manado, agent_b
):
    behind = recruit(client_a, datetime.date(2026, 10, 31))
    due = recruit(client_a, datetime.date(2026, 12, 20))
    ahead = recruit(client_a, datetime.date(2027, 5, 31))
    Participant.objects.filter(participant_number=behind["participant_number"]).update(
        full_name="=HYPERLINK(1)"
    )
    branch = Client()
    branch.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    html = branch.get(QUEUE).content.decode()
    assert behind["participant_number"] in html and due["participant_number"] in html
    assert ahead["participant_number"] not in html
    assert html.index(behind["participant_number"]) < html.index(due["participant_number"])

    selected = [behind["id"], due["id"]]
    export = branch.post(QUEUE, {"action": "export_csv", "_selected_action": selected})
    lines = export.content.decode().splitlines()
    assert lines[0].startswith("participant_number,name,agent")
    assert f"{behind['participant_number']},'=HYPERLINK(1),KDI-" in lines[1]

    branch.post(QUEUE, {"action": "send_reminder_now", "_selected_action": selected})
    assert sorted(
        OutboundMessage.objects.exclude(kind="welcome").values_list("kind", flat=True)
    ) == [
        "arrears_2",
        "reminder_due",
    ]

    elsewhere = Client()
    elsewhere.force_login(staff("staf.mdo", StaffProfile.Level.BRANCH, branch=manado))
    assert behind["participant_number"] not in elsewhere.get(QUEUE).content.decode()
