"""Workers draining the outbox at the same moment, for real, on PostgreSQL."""

import threading
import time

import pytest
import time_machine

from notifications import services
from notifications.models import MessageStatus, OutboundMessage
from notifications.providers import Outcome, SendResult
from tests.notifications.conftest import WITA, enqueue, local
from tests.races import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class SlowProvider:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def send(self, *, message_id: str, to: str, text: str) -> SendResult:
        with self.lock:
            self.calls.append(message_id)
        time.sleep(0.01)  # long enough for the other workers to reach the same rows
        return SendResult(Outcome.ACCEPTED, provider_message_id=message_id[:8])

    def close(self) -> None:
        pass


@pytest.fixture
def slow_provider(monkeypatch, no_send_tasks):
    provider = SlowProvider()
    monkeypatch.setattr("notifications.services.sending.provider_from_settings", lambda: provider)
    return provider


def test_workers_draining_together_send_each_message_exactly_once(slow_provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=True):
        ids = sorted(str(enqueue(n).pk) for n in range(60))
        reports = run_together(*[lambda: services.outbox_drain(limit=1000)] * 4)
    assert sorted(slow_provider.calls) == ids
    assert sum(report.sent for report in reports) == 60
    assert sorted(id_ for report in reports for id_ in report.ids_sent) == ids
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert set(OutboundMessage.objects.values_list("attempts", flat=True)) == {1}


def test_workers_racing_for_one_phone_send_it_three_messages_a_day(slow_provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=True):
        for n in range(8):
            enqueue(n, phone="081234567890")
        reports = run_together(*[lambda: services.outbox_drain(limit=1000)] * 4)
    assert len(slow_provider.calls) == 3
    assert sum(report.sent for report in reports) == 3
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 3
    waiting = OutboundMessage.objects.filter(status=MessageStatus.QUEUED)
    assert waiting.count() == 5
    assert {m.next_attempt_at for m in waiting} == {local(WITA, 2026, 12, 4, 8)}


def test_a_task_and_the_sweep_racing_for_one_message_send_it_once(slow_provider):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=True):
        message = enqueue(1)
        run_together(
            lambda: services.message_send(message_id=message.pk),
            lambda: services.message_send(message_id=message.pk),
            lambda: services.outbox_drain(limit=10),
        )
    assert slow_provider.calls == [str(message.pk)]
