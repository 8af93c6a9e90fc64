from typing import Any

from celery import shared_task
from django.conf import settings

from notifications import services
from notifications.services.outbox import queue_sweep
from notifications.services.sending import outbox_backlog_exceeds


@shared_task(name="notifications.send_message")
def send_message(message_id: str) -> str:
    """Queued after the commit that wrote the message. Does nothing when the message is
    not due, is already taken, or is done: safe to run twice."""
    report = services.message_send(message_id=message_id)
    return "sent" if report.sent else "not sent"


@shared_task(name="notifications.send_due", bind=True)
def send_due(self: Any) -> dict[str, int]:
    """Every minute (beat), and after a planner's batch: puts back what a dead worker
    left half-sent, then sends what is due. With the broker down when messages were
    written, this is what sends them.

    A backlog larger than one sweep queues the next sweep first, so an idle worker takes
    it while this one sends: a planner's batch keeps every worker busy until it is sent
    instead of going out ``NOTIFICATIONS_SWEEP_LIMIT`` a minute. Each sweep queues at
    most one, so the broker holds at most one waiting sweep per chain. Run in-process
    (no broker), a sweep sends its share and leaves the rest to the next."""
    released = services.messages_release_stuck()
    limit = settings.NOTIFICATIONS_SWEEP_LIMIT
    if not self.request.is_eager and outbox_backlog_exceeds(limit=limit):
        queue_sweep()
    report = services.outbox_drain(limit=limit)
    return {
        "released": released,
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "deferred": report.deferred,
        "cancelled": report.cancelled,
    }
