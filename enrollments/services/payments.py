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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.utils.encoders import JSONEncoder

from core.exceptions import ApplicationError, InvalidInputError, NotFoundError
from enrollments import codes, coverage
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
from enrollments.signals import payments_changed
from partners.models import Partner

logger = logging.getLogger(__name__)


class ChannelRefConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "channel_ref_conflict"
    default_message = gettext_lazy("This channel_ref was already used with another request body.")


class UnknownPaymentCodeError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unknown_payment_code"
    default_message = gettext_lazy("No registration has this payment code.")


class AmountMismatchError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "amount_mismatch"
    default_message = gettext_lazy(
        "The amount is not the registration's monthly contribution times the months paid."
    )


class NotSponsoredError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "not_sponsored"
    default_message = gettext_lazy("This sponsor does not fund this participant for these months.")


@dataclass(frozen=True)
class PaymentLineInput:
    payment_code: str
    amount: int
    months: int


@dataclass(frozen=True)
class PaymentAnswer:
    body: dict[str, Any]
    created: bool


def _local_date(moment: datetime.datetime, participant: Participant) -> datetime.date:
    return moment.astimezone(participant.branch.zone).date()


def _replay(existing: Payment, request_hash: str) -> PaymentAnswer:
    if existing.request_hash != request_hash:
        raise ChannelRefConflictError()
    return PaymentAnswer(json.loads(existing.response_body), created=False)


def _line_answer(line: PaymentLine) -> dict[str, Any]:
    participant = line.participant
    return {
        "payment_code": line.registration.payment_code,
        "participant_number": participant.participant_number,
        "status": participant.status,
        "paid_through": participant.paid_through,
        "covered_from": line.covered_from,
        "covered_through": line.covered_through,
    }


def payment_receive(
    *,
    channel: Partner,
    channel_ref: str,
    lines: Sequence[PaymentLineInput],
    paid_at: datetime.datetime,
    request_hash: str,
    sponsor_code: str | None = None,
) -> PaymentAnswer:
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
) -> PaymentAnswer:
    sponsor = None
    if sponsor_code is not None:
        sponsor = Sponsor.objects.filter(code=sponsor_code, is_active=True).first()
        if sponsor is None:
            raise InvalidInputError(fields={"sponsor": [_("Unknown sponsor.")]})
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
        covered = coverage.coverage_of(
            paid_through=participant.paid_through,
            paid_on=_local_date(paid_at, participant),
            months=line.months,
        )
        created_lines.append(
            PaymentLine(
                payment=payment,
                registration=registration,
                participant=participant,
                agent_id=registration.agent_id,
                branch_id=participant.branch_id,
                sponsorship=sponsorship,
                amount=line.amount,
                months=line.months,
                paid_at=paid_at,
                covered_from=covered.covered_from,
                covered_through=covered.covered_through,
            )
        )
        _participant_paid(participant, covered.covered_through, paid_at, now)
    PaymentLine.objects.bulk_create(created_lines)

    body = _answer(payment, created_lines, sponsor)
    payment.response_body = json.dumps(body, cls=JSONEncoder)
    payment.save(update_fields=["response_body"])
    payments_changed.send(
        sender=Payment, branch_moments={(line.branch_id, paid_at) for line in created_lines}
    )
    logger.info(
        "payment received",
        extra={"channel": channel.code, "channel_ref": channel_ref, "lines": len(created_lines)},
    )
    return PaymentAnswer(json.loads(payment.response_body), created=True)


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


def _answer(payment: Payment, lines: list[PaymentLine], sponsor: Sponsor | None) -> dict[str, Any]:
    if sponsor is None:
        (line,) = lines
        return {
            "channel_ref": payment.channel_ref,
            "participant_number": line.participant.participant_number,
            "status": line.participant.status,
            "paid_through": line.participant.paid_through,
            "covered_from": line.covered_from,
            "covered_through": line.covered_through,
        }
    return {
        "channel_ref": payment.channel_ref,
        "sponsor": sponsor.code,
        "amount": payment.amount,
        "lines": [_line_answer(line) for line in lines],
    }


# Reversals -----------------------------------------------------------------------------


def payment_reverse(*, channel: Partner, channel_ref: str, reason: str = "") -> PaymentAnswer:
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
            return PaymentAnswer(json.loads(existing.response_body), created=False)
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
        body = {
            "channel_ref": channel_ref,
            "reversed": True,
            "participants": [
                {
                    "participant_number": p.participant_number,
                    "status": p.status,
                    "paid_through": p.paid_through,
                }
                for p in participants
            ],
        }
        PaymentReversal.objects.create(
            payment=payment, reason=reason[:500], response_body=json.dumps(body, cls=JSONEncoder)
        )
        payments_changed.send(
            sender=Payment, branch_moments={(p.branch_id, now) for p in participants}
        )
    logger.info("payment reversed", extra={"channel": channel.code, "channel_ref": channel_ref})
    return PaymentAnswer(json.loads(json.dumps(body, cls=JSONEncoder)), created=True)


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
