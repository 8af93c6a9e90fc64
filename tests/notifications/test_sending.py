import datetime
import json
import logging

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from notifications import services
from notifications.models import MessageStatus, OutboundMessage
from notifications.providers import Outcome
from notifications.tasks import send_due
from tests.notifications.conftest import WIT, WITA, enqueue, local

pytestmark = pytest.mark.django_db


def reload(message: OutboundMessage) -> OutboundMessage:
    return OutboundMessage.objects.get(pk=message.pk)


def test_a_due_message_is_sent_once(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = enqueue(1)
        assert services.message_send(message_id=message.pk).sent == 1
        assert services.message_send(message_id=message.pk).sent == 0
        assert services.outbox_drain(limit=10).handled == 0
    message = reload(message)
    assert provider.calls == [str(message.pk)]
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert message.provider_message_id == f"gw-{str(message.pk)[:8]}"


def test_quiet_hours_hold_a_message_until_eight_local_time(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 10), tick=False):
        message = enqueue(1)
    # Due, but the worker reaches it after 20:00 (a retry, a backlog).
    with time_machine.travel(local(WITA, 2026, 12, 3, 20, 5), tick=False):
        report = services.outbox_drain(limit=10)
    assert (report.sent, report.deferred) == (0, 1)
    assert reload(message).next_attempt_at == local(WITA, 2026, 12, 4, 8)
    with time_machine.travel(local(WITA, 2026, 12, 4, 7, 59), tick=False):
        assert services.outbox_drain(limit=10).handled == 0
    with time_machine.travel(local(WITA, 2026, 12, 4, 8), tick=False):
        assert services.outbox_drain(limit=10).sent == 1
    assert provider.calls == [str(message.pk)]


def test_at_most_three_messages_a_day_to_one_phone(provider):
    with time_machine.travel(local(WIT, 2026, 12, 3, 9), tick=False):
        messages = [enqueue(n, phone="081234567890", zone=WIT) for n in range(4)]
        other = enqueue(9, phone="081299999999", zone=WIT)
        report = services.outbox_drain(limit=20)
    assert (report.sent, report.deferred) == (4, 1)
    statuses = [reload(m).status for m in messages]
    assert statuses.count(MessageStatus.SENT) == 3
    (waiting,) = [m for m in messages if reload(m).status == MessageStatus.QUEUED]
    assert reload(waiting).next_attempt_at == local(WIT, 2026, 12, 4, 8)
    assert reload(other).status == MessageStatus.SENT
    # Still the same local day in Jayapura at 23:59: nothing more.
    with time_machine.travel(local(WIT, 2026, 12, 3, 23, 59), tick=False):
        assert services.outbox_drain(limit=20).sent == 0
    with time_machine.travel(local(WIT, 2026, 12, 4, 8), tick=False):
        assert services.outbox_drain(limit=20).sent == 1
    assert sorted(provider.calls) == sorted(str(m.pk) for m in [*messages, other])


def test_an_opted_out_phone_gets_nothing(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        queued = enqueue(1, phone="081234567890")
        services.phone_opt_out(phone="+6281234567890", source="admin")
        later = enqueue(2, phone="6281234567890")
        report = services.outbox_drain(limit=10)
    assert report.sent == 0
    for message in (queued, later):
        assert (reload(message).status, reload(message).cancel_reason) == ("cancelled", "opted_out")
    assert provider.calls == []


def test_opting_out_between_writing_and_sending_cancels_at_send_time(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = enqueue(1, phone="081234567890")
        # An opt-out written by another path, without cancelling the queue.
        from notifications.models import PhoneOptOut

        PhoneOptOut.objects.create(phone="+6281234567890", source="reply")
        assert services.message_send(message_id=message.pk).cancelled == 1
    assert reload(message).status == MessageStatus.CANCELLED
    assert provider.calls == []


@override_settings(NOTIFICATIONS_MAX_ATTEMPTS=4)
def test_a_failing_message_backs_off_then_ends_failed_and_visible(provider):
    start = local(WITA, 2026, 12, 3, 9)
    with time_machine.travel(start, tick=False) as clock:
        message = enqueue(1)
        provider.scripts[str(message.pk)] = [Outcome.RETRY] * 10
        waits = []
        for _ in range(4):
            assert services.outbox_drain(limit=10).handled == 1
            row = reload(message)
            if row.status == MessageStatus.QUEUED:
                waits.append(row.next_attempt_at - timezone.now())
                clock.move_to(row.next_attempt_at)
    assert waits == [
        datetime.timedelta(minutes=1),
        datetime.timedelta(minutes=2),
        datetime.timedelta(minutes=4),
    ]
    row = reload(message)
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.FAILED, 4, "HTTP 500")
    assert provider.calls == [str(message.pk)] * 4


def test_a_refused_message_fails_at_once(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = enqueue(1)
        provider.scripts[str(message.pk)] = [Outcome.PERMANENT]
        services.outbox_drain(limit=10)
    row = reload(message)
    assert (row.status, row.attempts, row.last_error) == (MessageStatus.FAILED, 1, "HTTP 400")


def test_retry_now_queues_a_failed_message_with_fresh_attempts(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = enqueue(1)
        provider.scripts[str(message.pk)] = [Outcome.PERMANENT]
        services.outbox_drain(limit=10)
        sent_one = enqueue(2)
        services.outbox_drain(limit=10)
        assert services.messages_retry(ids=[message.pk, sent_one.pk]) == 1
        assert (reload(message).status, reload(message).attempts) == ("queued", 0)
        services.outbox_drain(limit=10)
    assert reload(message).status == MessageStatus.SENT


def test_staff_cancel_queued_and_failed_messages_only(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        sent = enqueue(1)
        services.outbox_drain(limit=10)
        queued = enqueue(2)
        assert services.messages_cancel(ids=[sent.pk, queued.pk]) == 1
    assert reload(sent).status == MessageStatus.SENT
    assert (reload(queued).status, reload(queued).cancel_reason) == ("cancelled", "by_staff")


def test_a_send_interrupted_by_a_dead_worker_is_queued_again(provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False) as clock:
        message = enqueue(1)
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENDING, attempts=1, last_attempt_at=timezone.now()
        )
        assert send_due()["released"] == 0
        clock.shift(datetime.timedelta(minutes=11))
        result = send_due()
    assert (result["released"], result["sent"]) == (1, 1)
    assert reload(message).status == MessageStatus.SENT


def test_the_console_provider_logs_masked_phone_and_digit_runs(caplog, settings):
    settings.NOTIFICATIONS_PROVIDER = "console"
    caplog.set_level(logging.INFO, logger="notifications")
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = services.message_enqueue(
            phone="081234567890",
            time_zone=WITA,
            kind="manual",
            dedupe_key="manual:1",
            text="Nomor 1234567890123456 dan kode 12345678901234",
        ).message
        services.message_send(message_id=message.pk)
    logged = json.dumps([vars(record) for record in caplog.records], default=str)
    assert "+62812****890" in logged
    assert "81234567890" not in logged
    assert "1234567890123456" not in logged
    assert "************3456" in logged
    assert reload(message).status == MessageStatus.SENT


@override_settings(NOTIFICATIONS_SWEEP_LIMIT=2)
def test_a_backlog_larger_than_a_sweep_queues_the_next_sweep_first(provider, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr("notifications.tasks.queue_sweep", lambda: queued.append("sweep"))
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        for n in range(5):
            enqueue(n)
        assert [send_due()["sent"] for _ in range(3)] == [2, 2, 1]
    # 5 and then 3 due were more than one sweep takes; the last 1 was not.
    assert queued == ["sweep", "sweep"]
    assert len(provider.calls) == 5


@override_settings(NOTIFICATIONS_SWEEP_LIMIT=2)
def test_a_sweep_run_in_process_leaves_the_rest_to_the_next(provider, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr("notifications.tasks.queue_sweep", lambda: queued.append("sweep"))
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        for n in range(5):
            enqueue(n)
        assert send_due.apply().get()["sent"] == 2
    assert queued == []
