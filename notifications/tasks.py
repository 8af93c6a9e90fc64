from celery import shared_task
from django.conf import settings

from notifications import services


@shared_task(name="notifications.send_message")
def send_message(message_id: str) -> str:
    """Queued after the commit that wrote the message. Does nothing when the message is
    not due, is already taken, or is done: safe to run twice."""
    report = services.message_send(message_id=message_id)
    return "sent" if report.sent else "not sent"


@shared_task(name="notifications.send_due")
def send_due() -> dict[str, int]:
    """Every minute (beat), and after a planner's batch: puts back what a dead worker
    left half-sent, then sends what is due. With the broker down when messages were
    written, this is what sends them."""
    released = services.messages_release_stuck()
    report = services.outbox_drain(limit=settings.NOTIFICATIONS_SWEEP_LIMIT)
    return {
        "released": released,
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "deferred": report.deferred,
        "cancelled": report.cancelled,
    }
