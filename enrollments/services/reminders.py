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
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.utils import timezone

from agents.models import BRANCH_TIME_ZONES
from core.dates import add_months
from core.exceptions import ApplicationError
from core.expressions import ConcatText, IsoDateText, RupiahText, rupiah_text
from enrollments import coverage, virtual_accounts
from enrollments.models import Participant, Registration
from notifications import rules as message_rules
from notifications.services import NewMessage, messages_enqueue, messages_enqueue_select
from partners import selectors as partner_selectors

logger = logging.getLogger(__name__)

REMINDER_DAYS_BEFORE = 7


def _first_channel() -> str | None:
    """The partnerServiceId of the SNAP channel whose virtual account messages give
    (the first by code), or None while there is none."""
    channels = partner_selectors.snap_service_ids()
    return channels[0][1] if channels else None


def _context(
    registration: Registration, participant: Participant, service_id: str | None
) -> dict[str, object]:
    return {
        "name": participant.full_name,
        "participant_number": participant.participant_number,
        "amount": rupiah_text(registration.monthly_total),
        "payment_code": registration.payment_code,
        # With no SNAP channel yet, the payment code is the number to pay into.
        "virtual_account": (
            virtual_accounts.shown_number(service_id, participant.participant_number)
            if service_id
            else registration.payment_code
        ),
    }


def _message(
    kind: str,
    registration: Registration,
    period: str,
    service_id: str | None = None,
    **extra: object,
) -> NewMessage | None:
    """``service_id``: the SNAP channel whose virtual account the message gives, for
    the kinds that say how to pay (``_first_channel``, read once per batch)."""
    participant = registration.participant
    if not participant.phone or participant.reminders_stopped_at is not None:
        return None
    context = _context(registration, participant, service_id) | extra
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
    service_id = _first_channel()
    return _enqueue(
        (
            _message(
                message_rules.WELCOME,
                registration,
                "registration",
                service_id,
                months=str(registration.payment_period_months),
                amount=rupiah_text(registration.amount_due),
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
                amount=rupiah_text(amount),
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


def reminder_paid_through_ranges(
    today: datetime.date,
) -> dict[str, tuple[datetime.date, datetime.date]]:
    """The paid-through dates each reminder is for on ``today``, as [from, to) bounds:
    the same answers as ``_reminder_kind``, as ranges a query can use (a lapse notice
    for those lapsed at most a month ago: a night missed still sends it, an old lapse
    does not)."""
    this_month = coverage.first_of_month(today)
    lapse_cutoff = coverage.lapse_cutoff(today)
    return {
        message_rules.REMINDER_DUE: (
            today,
            today + datetime.timedelta(days=REMINDER_DAYS_BEFORE + 1),
        ),
        message_rules.ARREARS_1: (
            max(add_months(this_month, -1), lapse_cutoff),
            min(this_month, today),
        ),
        message_rules.ARREARS_2: (
            max(add_months(this_month, -2), lapse_cutoff),
            min(add_months(this_month, -1), today),
        ),
        message_rules.LAPSE_NOTICE: (add_months(lapse_cutoff, -1), lapse_cutoff),
    }


def _planned(
    kind: str, zone: str, today: datetime.date, now: datetime.datetime, service_id: str | None
) -> int:
    """One kind's reminders for one zone, written by the database in one statement."""
    start, end = reminder_paid_through_ranges(today)[kind]
    if start >= end:
        return 0
    rows = Registration.objects.filter(
        participant__branch__time_zone=zone,
        participant__reminders_stopped_at__isnull=True,
        participant__paid_through__gte=start,
        participant__paid_through__lt=end,
    )
    paid_through = IsoDateText("participant__paid_through")
    values: dict[str, Combinable] = {
        "name": F("participant__full_name"),
        "participant_number": F("participant__participant_number"),
        "amount": RupiahText("monthly_total"),
        "payment_code": F("payment_code"),
        "virtual_account": (
            ConcatText(Value(service_id.strip(" ")), F("participant__participant_number"))
            if service_id
            else F("payment_code")
        ),
        "paid_through": paid_through,
    }
    dedupe_key = ConcatText(Value(f"{kind}:"), F("participant_id"), Value(":"), paid_through)
    return messages_enqueue_select(
        kind=kind,
        time_zone=zone,
        rows=rows,
        phone=F("participant__phone"),
        dedupe_key=dedupe_key,
        context={name: values[name] for name in message_rules.PLACEHOLDERS[kind]},
        now=now,
    )


def reminders_plan(*, now: datetime.datetime | None = None) -> int:
    """Writes today's reminders, on each branch's own date; returns how many are new.
    Set-based: one ``INSERT ... SELECT`` per zone and kind, no loop over participants.
    Run nightly (and as often as wanted: a reminder is written once per participant,
    kind and paid-through date, so a rerun writes nothing new)."""
    now = now or timezone.now()
    written = 0
    service_id = _first_channel()
    for zone in BRANCH_TIME_ZONES:
        today = timezone.localtime(now, message_rules.zone_of(zone)).date()
        for kind in reminder_paid_through_ranges(today):
            try:
                with transaction.atomic():
                    written += _planned(kind, zone, today, now, service_id)
            except ApplicationError as error:
                logger.error(
                    "reminders not planned", extra={"kind": kind, "zone": zone, "code": error.code}
                )
    logger.info("reminders planned", extra={"new": written})
    return written


def reminders_send_now(*, registrations: Iterable[Registration]) -> int:
    """Staff's "send a reminder now": the reminder each participant's paid-through calls
    for today (or the due reminder, for one paid ahead), at most once a day each; still
    subject to quiet hours, the daily cap and opt-outs. Returns how many were written."""
    batch = []
    service_id = _first_channel()
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
                service_id,
                paid_through=str(paid_through),
            )
        )
    written = _enqueue(batch, "staff")
    logger.info("reminders sent by staff", extra={"new": written})
    return written
