"""The messages a worker gets (DESIGN §8): a welcome after registration, a receipt
after each payment, and the reminders the nightly planning writes: 7 days before
paid-through ends, at 1 and 2 months of arrears, and when coverage lapses.

Each goes through the notifications outbox, in the transaction of the event that causes
it, at most once per participant, kind and period (the dedupe key says which). A worker
with no phone, or reported deceased, gets none. A message that cannot be written (no
template in force, say) never costs the worker their registration or payment: it is
logged and the event stands.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import BRANCH_TIME_ZONES
from core.dates import add_months
from core.exceptions import ApplicationError
from enrollments import coverage
from enrollments.models import Participant, Registration
from notifications import rules as message_rules
from notifications.services import NewMessage, messages_enqueue

logger = logging.getLogger(__name__)

REMINDER_DAYS_BEFORE = 7
PLANNING_CHUNK = 2000


def _rupiah(amount: int) -> str:
    return f"Rp{amount:,}".replace(",", ".")


def _context(registration: Registration, participant: Participant) -> dict[str, object]:
    return {
        "name": participant.full_name,
        "participant_number": participant.participant_number,
        "amount": _rupiah(registration.monthly_total),
        "payment_code": registration.payment_code,
        # Virtual-account numbers come with the SNAP channels; until then, the code.
        "virtual_account": registration.payment_code,
    }


def _message(
    kind: str, registration: Registration, period: str, **extra: object
) -> NewMessage | None:
    participant = registration.participant
    if not participant.phone or participant.reminders_stopped_at is not None:
        return None
    context = _context(registration, participant) | extra
    return NewMessage(
        phone=participant.phone,
        time_zone=participant.branch.time_zone,
        kind=kind,
        dedupe_key=f"{kind}:{participant.pk}:{period}",
        context={name: context[name] for name in message_rules.PLACEHOLDERS[kind]},
    )


def _enqueue(messages: Iterable[NewMessage | None], event: str) -> int:
    batch = [message for message in messages if message is not None]
    if not batch:
        return 0
    try:
        with transaction.atomic():
            return messages_enqueue(messages=batch)
    except ApplicationError as error:
        logger.error("messages not written", extra={"event": event, "code": error.code})
        return 0


def welcome_messages_write(registrations: Iterable[Registration]) -> int:
    """The welcome of each new registration: participant number, amount, how to pay."""
    return _enqueue(
        (
            _message(
                message_rules.WELCOME,
                registration,
                "registration",
                months=str(registration.payment_period_months),
                amount=_rupiah(registration.amount_due),
            )
            for registration in registrations
        ),
        "registration",
    )


def receipt_messages_write(lines: Iterable[tuple[Registration, int, int, str]]) -> int:
    """A receipt per line of a payment: (registration, amount, months, payment ref)."""
    return _enqueue(
        (
            _message(
                message_rules.RECEIPT,
                registration,
                ref,
                amount=_rupiah(amount),
                months=str(months),
                paid_through=str(registration.participant.paid_through),
            )
            for registration, amount, months, ref in lines
        ),
        "payment",
    )


# Nightly planning ----------------------------------------------------------------------


def _reminder_kind(paid_through: datetime.date, today: datetime.date) -> str | None:
    """Which reminder a paid-through date calls for on ``today``, if any, from its
    follow-up bucket: the lapse, the first and second month of arrears, and the 7 days
    before it ends (a night missed still reminds)."""
    bucket = coverage.follow_up_bucket(paid_through, today)
    if bucket == coverage.LAPSED:
        return message_rules.LAPSE_NOTICE
    if bucket == coverage.ARREARS:
        months_behind = coverage.arrears_months(paid_through, today)
        return {1: message_rules.ARREARS_1, 2: message_rules.ARREARS_2}.get(months_behind)
    if paid_through <= today + datetime.timedelta(days=REMINDER_DAYS_BEFORE):
        return message_rules.REMINDER_DUE
    return None


def _candidates(zone: str, today: datetime.date) -> QuerySet[Registration]:
    """Registrations whose participant may need a reminder today in ``zone``: paid
    through at most 7 days ahead, or behind (lapsed at most a few months ago)."""
    lapsed_since = add_months(coverage.first_of_month(today), -4)
    return (
        Registration.objects.filter(
            participant__branch__time_zone=zone,
            participant__reminders_stopped_at__isnull=True,
            participant__paid_through__isnull=False,
        )
        .exclude(participant__phone="")
        .filter(
            participant__paid_through__gte=lapsed_since,
            participant__paid_through__lte=today + datetime.timedelta(days=REMINDER_DAYS_BEFORE),
        )
        .select_related("participant", "participant__branch")
        .order_by("pk")
    )


def reminders_plan(*, now: datetime.datetime | None = None) -> int:
    """Writes today's reminders, on each branch's own date; returns how many are new.
    Run nightly (and as often as wanted: a reminder is written once per participant,
    kind and paid-through date, so a rerun writes nothing new)."""
    now = now or timezone.now()
    written = 0
    for zone in BRANCH_TIME_ZONES:
        today = timezone.localtime(now, message_rules.zone_of(zone)).date()
        batch: list[NewMessage | None] = []
        for registration in _candidates(zone, today).iterator(chunk_size=PLANNING_CHUNK):
            paid_through = registration.participant.paid_through
            assert paid_through is not None  # noqa: S101 (filtered above)
            kind = _reminder_kind(paid_through, today)
            if kind is None:
                continue
            extra: dict[str, object] = {"paid_through": str(paid_through)}
            batch.append(_message(kind, registration, paid_through.isoformat(), **extra))
            if len(batch) >= PLANNING_CHUNK:
                written += _enqueue(batch, "planning")
                batch = []
        written += _enqueue(batch, "planning")
    logger.info("reminders planned", extra={"new": written})
    return written


def reminders_send_now(*, registrations: Iterable[Registration]) -> int:
    """Staff's "send a reminder now": the reminder each participant's paid-through calls
    for today (or the due reminder, for one paid ahead), at most once a day each; still
    subject to quiet hours, the daily cap and opt-outs. Returns how many were written."""
    batch = []
    for registration in registrations:
        participant = registration.participant
        today = participant.branch.local_today()
        paid_through = participant.paid_through
        if paid_through is None:
            continue  # never paid: the welcome says how to pay
        kind = _reminder_kind(paid_through, today) or message_rules.REMINDER_DUE
        batch.append(
            _message(
                kind,
                registration,
                f"staff-{today.isoformat()}",
                paid_through=str(paid_through),
            )
        )
    written = _enqueue(batch, "staff")
    logger.info("reminders sent by staff", extra={"new": written})
    return written
