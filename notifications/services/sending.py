"""Sending: a worker claims a batch of due messages (row locks, SKIP LOCKED) and marks
them ``sending`` in one short transaction, calls the provider for each outside any
transaction, and records the batch's outcomes in one transaction of UPDATEs conditioned
on ``status = sending``. Two workers never take one row; a worker that dies mid-batch
leaves ``sending`` rows that the sweep puts back in the queue, and the gateway's
idempotency key (the row's id) makes that second send one message.

Before a message is taken: an opted-out phone cancels it, quiet hours and the daily cap
move it to its next allowed time (docs/architecture.md, "Notifications")."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.db import advisory_key
from notifications import rules, selectors
from notifications.models import CancelReason, MessageStatus, OutboundMessage
from notifications.providers import Outcome, Provider, SendResult, provider_from_settings
from notifications.services.outbox import queue_sweep

logger = logging.getLogger(__name__)

LAST_ERROR_MAX = 300
# Rows one claim takes. Each claim and each record of outcomes is a transaction of a
# few statements whatever its size, so a message costs a share of two commits instead
# of two; a worker that dies mid-batch leaves at most this many rows to the sweep.
CLAIM_BATCH = 25


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
    *, now: datetime.datetime, message_id: uuid.UUID | str | None, size: int, report: SendReport
) -> list[OutboundMessage]:
    """Up to ``size`` due messages, taken for sending (the one asked for, when
    ``message_id`` is given); none when none is due or another worker holds them. A
    message that must wait or must not go is moved or cancelled here and counted in
    ``report``."""
    due = selectors.messages_due(now=now)
    if message_id is not None:
        due = due.filter(pk=message_id)
    messages = list(due.select_for_update(skip_locked=True)[:size])
    if not messages:
        return []
    opted_out = selectors.phones_opted_out(phones={message.phone for message in messages})
    cancelled = [message.pk for message in messages if message.phone in opted_out]
    if cancelled:
        OutboundMessage.objects.filter(pk__in=cancelled).update(
            status=MessageStatus.CANCELLED, cancel_reason=CancelReason.OPTED_OUT, updated_at=now
        )
        report.cancelled += len(cancelled)
    later: dict[datetime.datetime, list[uuid.UUID]] = defaultdict(list)
    open_now = []
    for message in messages:
        if message.phone in opted_out:
            continue
        allowed = _window(now, message.time_zone)
        if allowed > now:
            later[allowed].append(message.pk)
        else:
            open_now.append(message)
    taken = _within_daily_cap(open_now, now=now, later=later)
    for moment, ids in later.items():
        OutboundMessage.objects.filter(pk__in=ids).update(next_attempt_at=moment, updated_at=now)
        report.deferred += len(ids)
    if taken:
        OutboundMessage.objects.filter(pk__in=[message.pk for message in taken]).update(
            status=MessageStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            updated_at=now,
        )
    for message in taken:
        message.status = MessageStatus.SENDING
        message.attempts += 1
        message.last_attempt_at = now
    return taken


def _within_daily_cap(
    messages: list[OutboundMessage],
    *,
    now: datetime.datetime,
    later: dict[datetime.datetime, list[uuid.UUID]],
) -> list[OutboundMessage]:
    """The messages a phone may still get today; the others go to ``later``, at the next
    local day's opening. Phones are locked first (advisory, until commit), so two workers
    cannot both see two messages today and both send a third: each count includes what
    the other just took."""
    if not messages:
        return []
    _phones_lock({message.phone for message in messages})
    # Counted per recipient's zone, whose local day it is; one taken now counts in each.
    counted: dict[tuple[str, str], int] = {}
    zones_of: dict[str, set[str]] = defaultdict(set)
    by_zone: dict[str, set[str]] = defaultdict(set)
    for message in messages:
        zones_of[message.phone].add(message.time_zone)
        by_zone[message.time_zone].add(message.phone)
    for zone, phones in by_zone.items():
        since, until = rules.local_day_bounds(now, zone)
        for phone, taken_today in selectors.messages_taken_to_gateway(
            phones=phones, since=since, until=until
        ):
            counted[zone, phone] = taken_today
    taken = []
    for message in messages:
        key = (message.time_zone, message.phone)
        if counted.get(key, 0) >= settings.NOTIFICATIONS_DAILY_LIMIT_PER_PHONE:
            opening = rules.next_day_opening(
                now, message.time_zone, from_hour=settings.NOTIFICATIONS_SEND_FROM_HOUR
            )
            later[opening].append(message.pk)
            continue
        for zone in zones_of[message.phone]:
            counted[zone, message.phone] = counted.get((zone, message.phone), 0) + 1
        taken.append(message)
    return taken


def _phones_lock(phones: Iterable[str]) -> None:
    """``core.db.advisory_xact_lock`` for many phones in one statement, in key order, so
    two workers locking overlapping sets wait for each other instead of deadlocking."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({advisory_key(f"notifications:phone:{phone}") for phone in phones})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT unnest(%s::bigint[]) AS k ORDER BY k) s",
            [keys],
        )


def _attempt(messages: list[OutboundMessage], provider: Provider, report: SendReport) -> None:
    results = []
    for message in messages:
        try:
            result = provider.send(message_id=str(message.pk), to=message.phone, text=message.text)
        except Exception as exc:  # a provider's bug must not leave the row in "sending"
            logger.exception(
                "notifications: provider raised", extra={"message_id": str(message.pk)}
            )
            result = SendResult(Outcome.RETRY, error=f"provider error: {type(exc).__name__}")
        results.append((message, result))
    if results:
        _outcomes_record(results, timezone.now(), report)


# Each attempt's outcome onto its row, for a whole batch in one statement, only where
# the row is still ``sending`` (this worker's): a row a receipt or staff moved meanwhile
# keeps its status. Returns the rows it moved.
OUTCOMES_RECORD = """
UPDATE notifications_outboundmessage AS m SET
    status = v.status,
    sent_at = CASE WHEN v.status = %(sent)s THEN %(now)s ELSE m.sent_at END,
    provider_message_id = CASE
        WHEN v.status = %(sent)s THEN v.gateway_id ELSE m.provider_message_id END,
    next_attempt_at = COALESCE(v.next_attempt_at, m.next_attempt_at),
    last_error = v.error,
    updated_at = %(now)s
FROM unnest(%(ids)s::uuid[], %(statuses)s::text[], %(gateway_ids)s::text[],
            %(errors)s::text[], %(next_attempts)s::timestamptz[])
    AS v(id, status, gateway_id, error, next_attempt_at)
WHERE m.id = v.id AND m.status = %(sending)s
RETURNING m.id
"""


@transaction.atomic
def _outcomes_record(
    results: list[tuple[OutboundMessage, SendResult]], now: datetime.datetime, report: SendReport
) -> None:
    """The batch's outcomes in one transaction: sent, back to the queue after the
    backoff, or failed for good (a refusal, or out of attempts)."""
    rows: list[tuple[uuid.UUID, str, str, str, datetime.datetime | None]] = []
    for message, result in results:
        error = rules.mask_long_digit_runs(result.error)[:LAST_ERROR_MAX]
        log = {"message_id": str(message.pk), "to": message.phone_masked, "kind": message.kind}
        if result.outcome is Outcome.ACCEPTED:
            rows.append((message.pk, MessageStatus.SENT, result.provider_message_id, "", None))
            report.sent += 1
            report.ids_sent.append(str(message.pk))
            logger.info("notifications: message sent", extra=log)
        elif (
            result.outcome is Outcome.PERMANENT
            or message.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
        ):
            rows.append((message.pk, MessageStatus.FAILED, "", error, None))
            report.failed += 1
            logger.warning("notifications: message failed", extra=log | {"error": error})
        else:
            wait = rules.retry_delay(
                message.attempts,
                base_seconds=settings.NOTIFICATIONS_RETRY_BASE_SECONDS,
                max_seconds=settings.NOTIFICATIONS_RETRY_MAX_SECONDS,
            )
            retry_at = _window(now + wait, message.time_zone)
            rows.append((message.pk, MessageStatus.QUEUED, "", error, retry_at))
            report.retrying += 1
            logger.info("notifications: message will be tried again", extra=log | {"error": error})
    moved = _outcomes_update(rows, now)
    taken_anyway = {
        pk: gateway_id
        for pk, status, gateway_id, _error, _at in rows
        if status == MessageStatus.SENT and pk not in moved
    }
    # A delivery receipt came first: keep its status, add the id.
    for pk, gateway_id in taken_anyway.items():
        OutboundMessage.objects.filter(pk=pk, sent_at__isnull=True).update(
            sent_at=now, provider_message_id=gateway_id, updated_at=now
        )


def _outcomes_update(
    rows: list[tuple[uuid.UUID, str, str, str, datetime.datetime | None]], now: datetime.datetime
) -> set[uuid.UUID]:
    """``OUTCOMES_RECORD``; the rows it moved. SQLite (``make run``) has no arrays: there,
    the same change one row at a time."""
    if connection.vendor == "postgresql":
        ids, statuses, gateway_ids, errors, next_attempts = (
            list(column) for column in zip(*rows, strict=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                OUTCOMES_RECORD,
                {
                    "ids": ids,
                    "statuses": statuses,
                    "gateway_ids": gateway_ids,
                    "errors": errors,
                    "next_attempts": next_attempts,
                    "now": now,
                    "sent": MessageStatus.SENT,
                    "sending": MessageStatus.SENDING,
                },
            )
            return {row[0] for row in cursor.fetchall()}
    moved = set()
    for pk, status, gateway_id, error, next_attempt_at in rows:
        changes: dict[str, object] = {"status": status, "last_error": error, "updated_at": now}
        if status == MessageStatus.SENT:
            changes |= {"sent_at": now, "provider_message_id": gateway_id}
        if next_attempt_at is not None:
            changes["next_attempt_at"] = next_attempt_at
        if OutboundMessage.objects.filter(pk=pk, status=MessageStatus.SENDING).update(**changes):
            moved.add(pk)
    return moved


def message_send(*, message_id: uuid.UUID | str) -> SendReport:
    """Sends this message if it is due and no other worker has it."""
    report = SendReport()
    taken = _claim(now=timezone.now(), message_id=message_id, size=1, report=report)
    if taken:
        provider = provider_from_settings()
        try:
            _attempt(taken, provider, report)
        finally:
            provider.close()
    return report


def outbox_drain(*, limit: int) -> SendReport:
    """Sends what is due, oldest first, until nothing is due or ``limit`` messages have
    been handled. Any number of workers may drain at once: each row is taken by one."""
    report = SendReport()
    provider = provider_from_settings()  # one per drain: its connection is reused
    try:
        while report.handled < limit:
            step = SendReport()
            size = min(CLAIM_BATCH, limit - report.handled)
            taken = _claim(now=timezone.now(), message_id=None, size=size, report=step)
            _attempt(taken, provider, step)
            report.add(step)
            if step.handled == 0:
                break
    finally:
        provider.close()
    return report


def outbox_backlog_exceeds(*, limit: int) -> bool:
    """More is due now than one drain of ``limit`` messages takes."""
    return selectors.messages_due(now=timezone.now())[limit : limit + 1].exists()


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
