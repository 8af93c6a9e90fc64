"""Contributions reported by payment channels, and their reversals.

A payment is accepted only whole: every line's code known, every amount right, or
nothing is stored (the API records the refusal in the refused-requests log). The
channel's reference makes it idempotent: the same reference and body again replays the
first answer; another body is a conflict. Concurrent deliveries of one reference
serialise on the participants' rows and the reference's unique index, and record one
payment.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.utils.encoders import JSONEncoder

from core.exceptions import InvalidInputError, NotFoundError
from enrollments import codes, coverage
from enrollments.errors import (
    AmountMismatchError,
    ChannelRefConflictError,
    NotSponsoredError,
    UnknownPaymentCodeError,
)
from enrollments.models import (
    PAYMENT_PERIODS,
    Participant,
    Payment,
    PaymentLine,
    PaymentReversal,
    Registration,
    Sponsor,
    Sponsorship,
)
from enrollments.services.reminders import receipt_messages_write
from enrollments.signals import payments_changed
from partners.models import Partner

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentLineInput:
    payment_code: str
    amount: int
    months: int


@dataclass(frozen=True)
class LineReceipt:
    """One participant paid for: their coverage and status as the payment left them."""

    payment_code: str
    participant_number: str
    status: str
    paid_through: datetime.date
    covered_from: datetime.date
    covered_through: datetime.date


@dataclass(frozen=True)
class PaymentReceipt:
    """What a payment did, as it was when it was received: a replay of the same
    delivery gets this again, whatever has happened to the participants since. The
    API renders it; the service stores it, as JSON, with the payment."""

    channel_ref: str
    sponsor: str | None
    amount: int
    lines: tuple[LineReceipt, ...]
    created: bool

    @property
    def line(self) -> LineReceipt:
        """The only line of a payment that is not a sponsor's."""
        (line,) = self.lines
        return line

    def to_json(self) -> str:
        record = asdict(self)
        del record["created"]
        return json.dumps(record, cls=JSONEncoder)

    @classmethod
    def from_json(cls, text: str, *, created: bool) -> PaymentReceipt:
        record = json.loads(text)
        return cls(
            channel_ref=record["channel_ref"],
            sponsor=record["sponsor"],
            amount=record["amount"],
            lines=tuple(_line_receipt(line) for line in record["lines"]),
            created=created,
        )


def _line_receipt(record: dict[str, Any]) -> LineReceipt:
    return LineReceipt(
        payment_code=record["payment_code"],
        participant_number=record["participant_number"],
        status=record["status"],
        paid_through=datetime.date.fromisoformat(record["paid_through"]),
        covered_from=datetime.date.fromisoformat(record["covered_from"]),
        covered_through=datetime.date.fromisoformat(record["covered_through"]),
    )


@dataclass(frozen=True)
class ParticipantAfterReversal:
    participant_number: str
    status: str
    paid_through: datetime.date | None


@dataclass(frozen=True)
class ReversalReceipt:
    """The participants a reversal touched, as it left them; stored with the reversal
    and given again to a repeated reversal."""

    channel_ref: str
    participants: tuple[ParticipantAfterReversal, ...]
    created: bool

    def to_json(self) -> str:
        record = asdict(self)
        del record["created"]
        return json.dumps(record, cls=JSONEncoder)

    @classmethod
    def from_json(cls, text: str, *, created: bool) -> ReversalReceipt:
        record = json.loads(text)
        return cls(
            channel_ref=record["channel_ref"],
            participants=tuple(
                ParticipantAfterReversal(
                    participant_number=p["participant_number"],
                    status=p["status"],
                    paid_through=(
                        datetime.date.fromisoformat(p["paid_through"])
                        if p["paid_through"]
                        else None
                    ),
                )
                for p in record["participants"]
            ),
            created=created,
        )


def _local_date(moment: datetime.datetime, participant: Participant) -> datetime.date:
    return moment.astimezone(participant.branch.zone).date()


def _replay(existing: Payment, request_hash: str) -> PaymentReceipt:
    if existing.request_hash != request_hash:
        raise ChannelRefConflictError()
    return PaymentReceipt.from_json(existing.response_body, created=False)


def payment_receive(
    *,
    channel: Partner,
    channel_ref: str,
    lines: Sequence[PaymentLineInput],
    paid_at: datetime.datetime,
    request_hash: str,
    sponsor_code: str | None = None,
) -> PaymentReceipt:
    existing = Payment.objects.filter(channel=channel, channel_ref=channel_ref).first()
    if existing is not None:
        return _replay(existing, request_hash)
    skew = datetime.timedelta(seconds=settings.PAYMENT_CLOCK_SKEW_SECONDS)
    if paid_at > timezone.now() + skew:
        raise InvalidInputError(fields={"paid_at": [_("The payment time is in the future.")]})
    try:
        with transaction.atomic():
            return _record(channel, channel_ref, lines, paid_at, request_hash, sponsor_code)
    except IntegrityError:
        # The same reference was delivered concurrently and committed first.
        existing = Payment.objects.filter(channel=channel, channel_ref=channel_ref).first()
        if existing is None:
            raise
        return _replay(existing, request_hash)


def _record(
    channel: Partner,
    channel_ref: str,
    lines: Sequence[PaymentLineInput],
    paid_at: datetime.datetime,
    request_hash: str,
    sponsor_code: str | None,
) -> PaymentReceipt:
    sponsor = _checked_sponsor(sponsor_code)
    registrations = _registrations_paid_for(lines)
    _check_paid_after_capture(paid_at, registrations.values())
    # Lock the participants, in one order, before reading their coverage: two payments
    # for one participant must not both start from the same paid-through date.
    participants = {
        participant.pk: participant
        for participant in Participant.objects.select_for_update()
        .select_related("branch")
        .filter(pk__in=[r.participant_id for r in registrations.values()])
        .order_by("pk")
    }
    sponsorships = {}
    if sponsor is not None:
        sponsorships = {
            s.participant_id: s
            for s in Sponsorship.objects.filter(sponsor=sponsor, participant_id__in=participants)
        }
    payment = Payment.objects.create(
        channel=channel,
        channel_ref=channel_ref,
        sponsor=sponsor,
        amount=sum(line.amount for line in lines),
        paid_at=paid_at,
        request_hash=request_hash,
        response_body="",
    )
    now = timezone.now()
    created_lines = []
    for line in lines:
        registration = registrations[line.payment_code]
        participant = participants[registration.participant_id]
        sponsorship = sponsorships.get(participant.pk)
        if sponsor is not None:
            expected = _sponsored_amount(sponsorship, line.months)
        else:
            expected = registration.monthly_total * line.months
        if line.amount != expected:
            raise AmountMismatchError()
        created_lines.append(_line_row(payment, line, registration, participant, sponsorship))
        _participant_paid(participant, created_lines[-1].covered_through, paid_at, now)
    PaymentLine.objects.bulk_create(created_lines)
    receipt_messages_write(
        (line.registration, line.amount, line.months, channel_ref) for line in created_lines
    )

    receipt = PaymentReceipt(
        channel_ref=channel_ref,
        sponsor=sponsor.code if sponsor is not None else None,
        amount=payment.amount,
        lines=tuple(_line_receipt_of(line) for line in created_lines),
        created=True,
    )
    payment.response_body = receipt.to_json()
    payment.save(update_fields=["response_body"])
    payments_changed.send(
        sender=Payment, branch_moments={(line.branch_id, paid_at) for line in created_lines}
    )
    logger.info(
        "payment received",
        extra={"channel": channel.code, "channel_ref": channel_ref, "lines": len(created_lines)},
    )
    return receipt


def _checked_sponsor(sponsor_code: str | None) -> Sponsor | None:
    if sponsor_code is None:
        return None
    sponsor = Sponsor.objects.filter(code=sponsor_code, is_active=True).first()
    if sponsor is None:
        raise InvalidInputError(fields={"sponsor": [_("Unknown sponsor.")]})
    return sponsor


def _registrations_paid_for(lines: Sequence[PaymentLineInput]) -> dict[str, Registration]:
    """The registration of each line's payment code; every code must be known."""
    codes_sent = [line.payment_code for line in lines]
    if len(set(codes_sent)) != len(codes_sent):
        raise InvalidInputError(fields={"lines": [_("Each payment code may appear once.")]})
    if any(line.months not in PAYMENT_PERIODS for line in lines):
        raise InvalidInputError(fields={"months": [_("Pay for 1, 3, 6 or 12 months.")]})
    if any(not codes.payment_code_is_well_formed(code) for code in codes_sent):
        raise UnknownPaymentCodeError()
    registrations = {
        registration.payment_code: registration
        for registration in Registration.objects.filter(payment_code__in=codes_sent)
    }
    if len(registrations) != len(codes_sent):
        raise UnknownPaymentCodeError()
    return registrations


def _line_row(
    payment: Payment,
    line: PaymentLineInput,
    registration: Registration,
    participant: Participant,
    sponsorship: Sponsorship | None,
) -> PaymentLine:
    """The line's row, covering the months paid from the participant's paid-through
    date or, after a lapse, from the month of payment."""
    covered = coverage.coverage_of(
        paid_through=participant.paid_through,
        paid_on=_local_date(payment.paid_at, participant),
        months=line.months,
    )
    registration.participant = participant  # as this payment leaves it, for the receipt
    return PaymentLine(
        payment=payment,
        registration=registration,
        participant=participant,
        agent_id=registration.agent_id,
        branch_id=participant.branch_id,
        sponsorship=sponsorship,
        amount=line.amount,
        months=line.months,
        paid_at=payment.paid_at,
        covered_from=covered.covered_from,
        covered_through=covered.covered_through,
    )


def _check_paid_after_capture(
    paid_at: datetime.datetime, registrations: Iterable[Registration]
) -> None:
    """No one pays for a registration before it was captured: such a date is a channel's
    error, and would backdate the coverage to months no fee scheme was in force. Every
    line is checked before anything is written."""
    skew = datetime.timedelta(seconds=settings.PAYMENT_CLOCK_SKEW_SECONDS)
    latest = max(registration.captured_at for registration in registrations)
    if paid_at < latest - skew:
        raise InvalidInputError(
            fields={"paid_at": [_("The payment time is before the worker was registered.")]}
        )


def _sponsored_amount(sponsorship: Sponsorship | None, months: int) -> int:
    if sponsorship is None:
        raise NotSponsoredError()
    paid = (
        PaymentLine.objects.filter(sponsorship=sponsorship, reversed_at__isnull=True).aggregate(
            months=Sum("months")
        )["months"]
        or 0
    )
    if paid + months > sponsorship.months:
        raise NotSponsoredError()
    return sponsorship.monthly_amount * months


def _participant_paid(
    participant: Participant,
    paid_through: datetime.date,
    paid_at: datetime.datetime,
    now: datetime.datetime,
) -> None:
    today = participant.branch.local_today()
    participant.paid_through = paid_through
    fields = ["paid_through", "updated_at"]
    new_status = coverage.status_on(paid_through, today)
    if new_status != participant.status:
        participant.status = new_status
        participant.status_changed_at = now
        fields += ["status", "status_changed_at"]
    if participant.activated_at is None:
        participant.activated_at = paid_at
        fields.append("activated_at")
    participant.save(update_fields=fields)


def _line_receipt_of(line: PaymentLine) -> LineReceipt:
    participant = line.participant
    assert participant.paid_through is not None  # noqa: S101 (set by this payment)
    return LineReceipt(
        payment_code=line.registration.payment_code,
        participant_number=participant.participant_number,
        status=participant.status,
        paid_through=participant.paid_through,
        covered_from=line.covered_from,
        covered_through=line.covered_through,
    )


# Reversals -----------------------------------------------------------------------------


def payment_reverse(*, channel: Partner, channel_ref: str, reason: str = "") -> ReversalReceipt:
    """Takes a payment back: its lines stop counting, and each participant's coverage is
    replayed from the payments that remain, and their status follows. Idempotent: a
    second reversal answers as the first did."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(channel=channel, channel_ref=channel_ref)
            .first()
        )
        if payment is None:
            raise NotFoundError()
        existing = PaymentReversal.objects.filter(payment=payment).first()
        if existing is not None:
            return ReversalReceipt.from_json(existing.response_body, created=False)
        participant_ids = list(payment.lines.values_list("participant_id", flat=True))
        participants = list(
            Participant.objects.select_for_update()
            .select_related("branch")
            .filter(pk__in=participant_ids)
            .order_by("pk")
        )
        now = timezone.now()
        payment.lines.update(reversed_at=now)
        for participant in participants:
            _participant_recompute(participant, now)
        receipt = ReversalReceipt(
            channel_ref=channel_ref,
            participants=tuple(
                ParticipantAfterReversal(p.participant_number, p.status, p.paid_through)
                for p in participants
            ),
            created=True,
        )
        PaymentReversal.objects.create(
            payment=payment, reason=reason[:500], response_body=receipt.to_json()
        )
        payments_changed.send(
            sender=Payment, branch_moments={(p.branch_id, now) for p in participants}
        )
    logger.info("payment reversed", extra={"channel": channel.code, "channel_ref": channel_ref})
    return receipt


def _participant_recompute(participant: Participant, now: datetime.datetime) -> None:
    remaining = PaymentLine.objects.filter(
        participant=participant, reversed_at__isnull=True
    ).order_by("paid_at", "id")
    paid_through = coverage.paid_through_of(
        (_local_date(line.paid_at, participant), line.months) for line in remaining
    )
    status_now = coverage.status_on(paid_through, participant.branch.local_today())
    first = remaining.first()
    participant.paid_through = paid_through
    participant.activated_at = first.paid_at if first else None
    fields = ["paid_through", "activated_at", "updated_at"]
    if status_now != participant.status:
        participant.status = status_now
        participant.status_changed_at = now
        fields += ["status", "status_changed_at"]
    participant.save(update_fields=fields)
