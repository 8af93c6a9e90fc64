"""Sending: a worker claims a due message (row lock, SKIP LOCKED) and marks it
``sending`` in one short transaction, calls the provider outside any transaction, and
records the outcome with a conditional UPDATE. Two workers never take one row; a worker
that dies mid-send leaves a ``sending`` row that the sweep puts back in the queue, and
the gateway's idempotency key (the row's id) makes that second send one message.

Before a message is taken: an opted-out phone cancels it, quiet hours and the daily cap
move it to its next allowed time (docs/architecture.md, "Notifications")."""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.db import advisory_xact_lock
from notifications import rules, selectors
from notifications.models import CancelReason, MessageStatus, OutboundMessage
from notifications.providers import Outcome, SendResult, provider_from_settings
from notifications.services.outbox import queue_sweep

logger = logging.getLogger(__name__)

LAST_ERROR_MAX = 300


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    ids_sent: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.deferred += other.deferred
        self.cancelled += other.cancelled
        self.ids_sent += other.ids_sent

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.deferred + self.cancelled


def _window(moment: datetime.datetime, zone: str) -> datetime.datetime:
    return rules.sending_time(
        moment,
        zone,
        from_hour=settings.NOTIFICATIONS_SEND_FROM_HOUR,
        until_hour=settings.NOTIFICATIONS_SEND_UNTIL_HOUR,
    )


@transaction.atomic
def _claim(
    *, now: datetime.datetime, message_id: uuid.UUID | str | None, report: SendReport
) -> OutboundMessage | None:
    """The next due message, taken for sending; or None when none is due (or the one
    asked for is not, or another worker holds it). A message that must wait or must
    not go is moved or cancelled here and counted in ``report``."""
    due = selectors.messages_due(now=now)
    if message_id is not None:
        due = due.filter(pk=message_id)
    message = due.select_for_update(skip_locked=True).first()
    if message is None:
        return None
    if selectors.phone_opted_out(phone=message.phone):
        message.status = MessageStatus.CANCELLED
        message.cancel_reason = CancelReason.OPTED_OUT
        message.save(update_fields=["status", "cancel_reason", "updated_at"])
        report.cancelled += 1
        return None
    allowed = _window(now, message.time_zone)
    if allowed > now:
        _deferred(message, allowed, report)
        return None
    # One phone at a time, so two workers cannot both see two messages today and both
    # send a third (two each): the count below includes what the other just took.
    advisory_xact_lock(f"notifications:phone:{message.phone}")
    since, until = rules.local_day_bounds(now, message.time_zone)
    taken = selectors.messages_taken_to_gateway(phone=message.phone, since=since, until=until)
    if taken >= settings.NOTIFICATIONS_DAILY_LIMIT_PER_PHONE:
        opening = rules.next_day_opening(
            now, message.time_zone, from_hour=settings.NOTIFICATIONS_SEND_FROM_HOUR
        )
        _deferred(message, opening, report)
        return None
    message.status = MessageStatus.SENDING
    message.attempts += 1
    message.last_attempt_at = now
    message.save(update_fields=["status", "attempts", "last_attempt_at", "updated_at"])
    return message


def _deferred(message: OutboundMessage, moment: datetime.datetime, report: SendReport) -> None:
    message.next_attempt_at = moment
    message.save(update_fields=["next_attempt_at", "updated_at"])
    report.deferred += 1


def _attempt(message: OutboundMessage, report: SendReport) -> None:
    try:
        result = provider_from_settings().send(
            message_id=str(message.pk), to=message.phone, text=message.text
        )
    except Exception as exc:  # a provider's bug must not leave the row in "sending"
        logger.exception("notifications: provider raised", extra={"message_id": str(message.pk)})
        result = SendResult(Outcome.RETRY, error=f"provider error: {type(exc).__name__}")
    _outcome_record(message, result, timezone.now(), report)


def _outcome_record(
    message: OutboundMessage, result: SendResult, now: datetime.datetime, report: SendReport
) -> None:
    in_flight = OutboundMessage.objects.filter(pk=message.pk, status=MessageStatus.SENDING)
    error = rules.mask_long_digit_runs(result.error)[:LAST_ERROR_MAX]
    log = {"message_id": str(message.pk), "to": message.phone_masked, "kind": message.kind}
    if result.outcome is Outcome.ACCEPTED:
        moved = in_flight.update(
            status=MessageStatus.SENT,
            sent_at=now,
            provider_message_id=result.provider_message_id,
            last_error="",
            updated_at=now,
        )
        if not moved:  # a delivery receipt came first: keep its status, add the id
            OutboundMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
                sent_at=now, provider_message_id=result.provider_message_id, updated_at=now
            )
        report.sent += 1
        report.ids_sent.append(str(message.pk))
        logger.info("notifications: message sent", extra=log)
        return
    final = (
        result.outcome is Outcome.PERMANENT
        or message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    )
    if final:
        in_flight.update(status=MessageStatus.FAILED, last_error=error, updated_at=now)
        report.failed += 1
        logger.warning("notifications: message failed", extra=log | {"error": error})
        return
    wait = rules.retry_delay(
        message.attempts,
        base_seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS,
        max_seconds=settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
    )
    in_flight.update(
        status=MessageStatus.QUEUED,
        next_attempt_at=_window(now + wait, message.time_zone),
        last_error=error,
        updated_at=now,
    )
    report.retrying += 1
    logger.info("notifications: message will be tried again", extra=log | {"error": error})


def message_send(*, message_id: uuid.UUID | str) -> SendReport:
    """Sends this message if it is due and no other worker has it."""
    report = SendReport()
    message = _claim(now=timezone.now(), message_id=message_id, report=report)
    if message is not None:
        _attempt(message, report)
    return report


def outbox_drain(*, limit: int) -> SendReport:
    """Sends what is due, oldest first, until nothing is due or ``limit`` messages have
    been handled. Any number of workers may drain at once: each row is taken by one."""
    report = SendReport()
    while report.handled < limit:
        step = SendReport()
        message = _claim(now=timezone.now(), message_id=None, report=step)
        if message is not None:
            _attempt(message, step)
        report.add(step)
        if step.handled == 0:
            break
    return report


def messages_release_stuck() -> int:
    """``sending`` rows older than ``NOTIFICATIONS_SENDING_TIMEOUT_SECONDS``: their
    worker died mid-send. Back to the queue (the gateway deduplicates by id), or
    ``failed`` when out of attempts."""
    now = timezone.now()
    stuck = OutboundMessage.objects.filter(
        status=MessageStatus.SENDING,
        last_attempt_at__lt=now
        - datetime.timedelta(seconds=settings.NOTIFICATIONS_SENDING_TIMEOUT_SECONDS),
    )
    error = "interrupted while sending"
    failed = stuck.filter(attempts__gte=settings.NOTIFICATIONS_MAX_ATTEMPTS).update(
        status=MessageStatus.FAILED, last_error=error, updated_at=now
    )
    queued = stuck.update(
        status=MessageStatus.QUEUED, next_attempt_at=now, last_error=error, updated_at=now
    )
    if failed or queued:
        logger.warning(
            "notifications: interrupted sends released", extra={"queued": queued, "failed": failed}
        )
    return failed + queued


def messages_retry(*, ids: list[uuid.UUID] | list[str]) -> int:
    """Staff's "retry now": failed messages back to the queue, with a fresh set of
    attempts, at once (quiet hours and the daily cap still apply). One UPDATE."""
    now = timezone.now()
    retried = OutboundMessage.objects.filter(pk__in=ids, status=MessageStatus.FAILED).update(
        status=MessageStatus.QUEUED, attempts=0, next_attempt_at=now, updated_at=now
    )
    if retried:
        transaction.on_commit(queue_sweep)
    return retried


def messages_cancel(*, ids: list[uuid.UUID] | list[str]) -> int:
    """Staff cancel queued or failed messages; one being sent right now is not stopped."""
    return OutboundMessage.objects.filter(
        pk__in=ids, status__in=[MessageStatus.QUEUED, MessageStatus.FAILED]
    ).update(
        status=MessageStatus.CANCELLED,
        cancel_reason=CancelReason.BY_STAFF,
        updated_at=timezone.now(),
    )
