"""The messages a worker gets: written to the outbox with the event that causes them,
at most once per participant, kind and period, never to a worker reported deceased."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from core.dates import add_months
from core.expressions import rupiah_text
from enrollments import coverage, services
from enrollments.models import Participant, Registration
from enrollments.services import reminders
from enrollments.services.reminders import reminders_plan
from notifications.models import MessageTemplate, OutboundMessage, PhoneOptOut
from tests.builders import body, pay, post

pytestmark = pytest.mark.django_db

WITA = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 12, 10, 12, 0, tzinfo=WITA)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def messages(kind: str | None = None) -> list[OutboundMessage]:
    found = OutboundMessage.objects.order_by("created_at")
    return list(found.filter(kind=kind) if kind else found)


def test_a_new_registration_writes_one_welcome_with_how_to_pay(client_a):
    item = body()
    registered = post(client_a, item).json()
    post(client_a, item)  # the app's retry: the same registration, no second welcome
    (welcome,) = messages("welcome")
    participant = Participant.objects.get(participant_number=registered["participant_number"])
    assert registered["payment_code"] in welcome.text
    assert registered["participant_number"] in welcome.text
    assert (welcome.phone, welcome.time_zone) == (participant.phone, "Asia/Makassar")
    post(client_a, body())  # another worker: their own welcome
    assert len(messages("welcome")) == 2


def test_a_registration_without_a_phone_gets_no_message(client_a):
    post(client_a, body(phone=""))
    assert messages() == []


def test_a_missing_template_never_costs_the_worker_their_registration(client_a, caplog):
    MessageTemplate.objects.filter(kind="welcome").delete()
    response = post(client_a, body())
    assert response.status_code == 201
    assert messages() == []
    assert any(record.message == "messages not written" for record in caplog.records)


def test_each_payment_writes_its_receipt_with_the_new_paid_through(client_a, channel):
    registered = post(client_a, body()).json()
    registration = Registration.objects.get(pk=registered["id"])
    pay(channel, registration, months=3, at=NOW - datetime.timedelta(hours=1), ref="R-1")
    pay(channel, registration, months=1, at=NOW - datetime.timedelta(minutes=30), ref="R-2")
    receipts = messages("receipt")
    assert len(receipts) == 2
    assert "2027-02-28" in receipts[0].text and "2027-03-31" in receipts[1].text


def recruit_paid_through(client, paid_through: datetime.date) -> Participant:
    registered = post(client, body()).json()
    participant = Participant.objects.get(participant_number=registered["participant_number"])
    participant.paid_through = paid_through
    participant.save(update_fields=["paid_through"])
    return participant


def test_the_nightly_planning_writes_each_reminder_once(client_a):
    due = recruit_paid_through(client_a, datetime.date(2026, 12, 15))
    ahead = recruit_paid_through(client_a, datetime.date(2027, 2, 28))
    one_behind = recruit_paid_through(client_a, datetime.date(2026, 11, 30))
    two_behind = recruit_paid_through(client_a, datetime.date(2026, 10, 31))
    lapsed = recruit_paid_through(client_a, datetime.date(2026, 8, 31))

    assert reminders_plan() == 4
    assert reminders_plan() == 0  # a rerun plans nothing new
    planned = {m.dedupe_key.split(":")[0]: m.dedupe_key for m in messages() if m.kind != "welcome"}
    assert planned == {
        "reminder_due": f"reminder_due:{due.pk}:2026-12-15",
        "arrears_1": f"arrears_1:{one_behind.pk}:2026-11-30",
        "arrears_2": f"arrears_2:{two_behind.pk}:2026-10-31",
        "lapse_notice": f"lapse_notice:{lapsed.pk}:2026-08-31",
    }
    assert not [m for m in messages() if f":{ahead.pk}:" in m.dedupe_key and m.kind != "welcome"]


def test_no_reminder_for_a_worker_reported_deceased(client_a, agent_a):
    participant = recruit_paid_through(client_a, datetime.date(2026, 11, 30))
    registration = Registration.objects.get(participant=participant)
    services.contacts_record(
        agent=agent_a,
        items=[
            services.ContactInput(
                client_uuid=uuid.uuid4(),
                registration_id=registration.pk,
                contacted_at=NOW - datetime.timedelta(hours=1),
                method="visit",
                outcome="deceased",
            )
        ],
    )
    assert reminders_plan() == 0


def test_beat_plans_the_reminders_every_night(client_a, settings):
    from enrollments.tasks import plan_reminders

    recruit_paid_through(client_a, datetime.date(2026, 12, 15))
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "enrollments.plan_reminders" in scheduled
    assert plan_reminders.apply().get() == {"planned": 1}


def test_a_worker_who_wants_no_messages_is_opted_out_with_the_registration(client_a):
    registered = post(client_a, body(messages_opt_out=True)).json()
    participant = Participant.objects.get(participant_number=registered["participant_number"])
    opt_out = PhoneOptOut.objects.get(phone=participant.phone)
    assert opt_out.source == "registration"
    (welcome,) = messages("welcome")
    assert (welcome.status, welcome.cancel_reason) == ("cancelled", "opted_out")
    post(client_a, body())  # another worker, who did not ask: welcomed as usual
    assert messages("welcome")[1].status == "queued"


@given(
    today=st.dates(datetime.date(2025, 1, 1), datetime.date(2028, 12, 31)),
    offset=st.integers(-200, 60),
)
def test_the_planning_ranges_give_the_reminder_each_paid_through_calls_for(today, offset):
    paid_through = today + datetime.timedelta(days=offset)
    within = [
        kind
        for kind, (start, end) in reminders.reminder_paid_through_ranges(today).items()
        if start <= paid_through < end
    ]
    expected = reminders._reminder_kind(paid_through, today)
    lapsed_long_ago = paid_through < add_months(coverage.lapse_cutoff(today), -1)
    if expected == "lapse_notice" and lapsed_long_ago:
        expected = None  # the notice goes in the month after the lapse, not for ever after
    assert within == ([expected] if expected else [])


def test_a_planned_reminder_reads_as_its_template_filled_in_python(client_a):
    MessageTemplate.objects.create(
        kind="arrears_1",
        effective_from=datetime.date(2026, 12, 1),
        text="{{Perisai}} {name} ({participant_number}): {amount}/bln, lunas s.d. "
        "{paid_through}. Bayar {payment_code} / {virtual_account}.",
    )
    participant = recruit_paid_through(client_a, datetime.date(2026, 11, 30))
    registration = Registration.objects.get(participant=participant)
    assert reminders_plan() == 1
    (notice,) = messages("arrears_1")
    assert notice.text == (
        f"{{Perisai}} {participant.full_name} ({participant.participant_number}): "
        f"{rupiah_text(registration.monthly_total)}/bln, lunas s.d. 2026-11-30. "
        f"Bayar {registration.payment_code} / {registration.payment_code}."
    )
    assert (notice.phone, notice.time_zone, notice.status) == (
        participant.phone,
        "Asia/Makassar",
        "queued",
    )


def test_a_planned_reminder_to_a_phone_that_opted_out_is_written_cancelled(client_a):
    participant = recruit_paid_through(client_a, datetime.date(2026, 12, 15))
    PhoneOptOut.objects.create(phone=participant.phone, source="reply")
    assert reminders_plan() == 1
    (reminder,) = messages("reminder_due")
    assert (reminder.status, reminder.cancel_reason) == ("cancelled", "opted_out")


def test_an_old_lapse_or_a_worker_without_a_phone_gets_no_reminder(client_a):
    recruit_paid_through(client_a, datetime.date(2026, 7, 31))  # lapsed two months ago
    no_phone = recruit_paid_through(client_a, datetime.date(2026, 12, 15))
    Participant.objects.filter(pk=no_phone.pk).update(phone="")
    assert reminders_plan() == 0


def test_planning_costs_the_same_statements_for_few_or_many_participants(client_a):
    recruit_paid_through(client_a, datetime.date(2026, 12, 15))
    with CaptureQueriesContext(connection) as few:
        reminders_plan()
    for day in (12, 13, 14, 16, 17):
        recruit_paid_through(client_a, datetime.date(2026, 12, day))
    recruit_paid_through(client_a, datetime.date(2026, 11, 3))
    recruit_paid_through(client_a, datetime.date(2026, 10, 9))
    with CaptureQueriesContext(connection) as many:
        assert reminders_plan() == 7
    assert len(many) == len(few)


def test_with_a_snap_channel_messages_give_its_virtual_account(client_a):
    from tests.snap_bank import SnapBank

    SnapBank()  # partnerServiceId 88899
    registered = post(client_a, body()).json()
    (welcome,) = messages("welcome")
    number = registered["participant_number"]
    assert f"88899{number}" in welcome.text
    participant = Participant.objects.get(participant_number=number)
    Participant.objects.filter(pk=participant.pk).update(paid_through=datetime.date(2026, 12, 15))
    assert reminders_plan() == 1
    (reminder,) = messages("reminder_due")
    assert f"88899{number}" in reminder.text
