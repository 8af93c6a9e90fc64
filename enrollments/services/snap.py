"""Bill presentment and payment for SNAP channels (DESIGN §9): what a virtual account
owes, and its payment, which ends in the one payment path (``payment_receive``) like the
webhook's: coverage, status, fees, receipts and reversals are the same, written once.

The SNAP ``paymentRequestId`` is the payment's ``channel_ref``, so a repeat is a replay
(the same body) or refused (another body), and the status and the daily reconciliation
find it there. A bill is the participant's contribution for 1, 3, 6 or 12 months; a
payment must equal one of those amounts. A participant already paid a year ahead has
no bill ("Paid Bill").
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.utils import timezone

from core.dates import add_months, month_end
from core.exceptions import ConflictError
from enrollments import virtual_accounts
from enrollments.errors import AmountMismatchError
from enrollments.models import Payment, Registration
from enrollments.pricing import PAYMENT_PERIODS
from enrollments.services.payments import PaymentLineInput, PaymentReceipt, payment_receive
from partners import snap
from partners.errors import SnapRefusal
from partners.models import SnapClient

PAID_AHEAD_MONTHS = 12


@dataclass(frozen=True)
class Bill:
    registration: Registration
    virtual_account_no: str
    customer_no: str
    name: str
    # (months, amount) for each period a payment may cover, the chosen one first.
    options: tuple[tuple[int, int], ...]

    @property
    def total(self) -> int:
        return self.options[0][1]


def _registration_of(
    client: SnapClient, partner_service_id: str, customer_no: str, virtual_account_no: str
) -> Registration:
    padded = virtual_accounts.partner_service_id_padded(partner_service_id)
    if padded != client.partner_service_id:
        raise SnapRefusal(snap.BILL_NOT_FOUND, "partnerServiceId")
    number = virtual_accounts.participant_number_of(customer_no)
    expected = virtual_accounts.virtual_account_number(padded, customer_no.strip(" "))
    if number is None or virtual_account_no != expected:
        raise SnapRefusal(snap.BILL_NOT_FOUND, "Not Found")
    registration = (
        Registration.objects.select_related("participant", "participant__branch")
        .filter(participant__participant_number=number)
        .first()
    )
    if registration is None:  # unknown, or a reserved number not synced yet
        raise SnapRefusal(snap.BILL_NOT_FOUND, "Not Found")
    return registration


def _paid_ahead(registration: Registration) -> bool:
    participant = registration.participant
    if participant.paid_through is None:
        return False
    today = participant.branch.local_today()
    return participant.paid_through >= month_end(add_months(today, PAID_AHEAD_MONTHS))


def snap_bill(
    *, client: SnapClient, partner_service_id: str, customer_no: str, virtual_account_no: str
) -> Bill:
    """The bill of a virtual account at this channel; SnapRefusal when there is none."""
    registration = _registration_of(client, partner_service_id, customer_no, virtual_account_no)
    if _paid_ahead(registration):
        raise SnapRefusal(snap.PAID_BILL)
    chosen = registration.payment_period_months
    periods = [chosen, *(months for months in PAYMENT_PERIODS if months != chosen)]
    return Bill(
        registration=registration,
        virtual_account_no=virtual_account_no,
        customer_no=customer_no,
        name=registration.participant.full_name,
        options=tuple((months, registration.monthly_total * months) for months in periods),
    )


@dataclass(frozen=True)
class SnapPayment:
    bill: Bill
    months: int
    paid_at: datetime.datetime
    receipt: PaymentReceipt


def request_hash_of(body: bytes) -> str:
    """A payment request's identity for its replay: the minified body's digest."""
    return hashlib.sha256(snap.minified(body)).hexdigest()


def snap_payment_receive(
    *,
    client: SnapClient,
    partner_service_id: str,
    customer_no: str,
    virtual_account_no: str,
    payment_request_id: str,
    amount: int,
    paid_at: datetime.datetime | None,
    body: bytes,
) -> SnapPayment:
    """A SNAP payment through the one payment path. A repeat of ``paymentRequestId``
    with the same body answers as the first did, even once the bill has changed; with
    another body it is refused as inconsistent."""
    request_hash = request_hash_of(body)
    existing = Payment.objects.filter(
        channel=client.partner, channel_ref=payment_request_id
    ).first()
    if existing is not None and existing.request_hash != request_hash:
        raise SnapRefusal(snap.INCONSISTENT_REQUEST)
    registration = _registration_of(client, partner_service_id, customer_no, virtual_account_no)
    monthly = registration.monthly_total
    months = amount // monthly if monthly else 0
    if existing is None:
        if months not in PAYMENT_PERIODS or monthly * months != amount:
            raise SnapRefusal(snap.INVALID_AMOUNT)
        if _paid_ahead(registration):
            raise SnapRefusal(snap.PAID_BILL)
    try:
        receipt = payment_receive(
            channel=client.partner,
            channel_ref=payment_request_id,
            lines=[PaymentLineInput(registration.payment_code, amount, months)],
            paid_at=paid_at or timezone.now(),
            request_hash=request_hash,
        )
    except ConflictError:  # the same id, committed concurrently with another body
        raise SnapRefusal(snap.INCONSISTENT_REQUEST) from None
    except AmountMismatchError:
        raise SnapRefusal(snap.INVALID_AMOUNT) from None
    stored = Payment.objects.get(channel=client.partner, channel_ref=payment_request_id)
    bill = Bill(
        registration,
        virtual_account_no,
        customer_no,
        registration.participant.full_name,
        ((months, amount),),
    )
    return SnapPayment(bill=bill, months=months, paid_at=stored.paid_at, receipt=receipt)


@dataclass(frozen=True)
class SnapPaymentStatus:
    payment: Payment
    reversed: bool


def snap_payment_status(
    *,
    client: SnapClient,
    partner_service_id: str,
    customer_no: str,
    virtual_account_no: str,
    payment_request_id: str,
) -> SnapPaymentStatus:
    """A payment this channel made for this virtual account, by its
    ``paymentRequestId``; "Transaction Not Found" otherwise."""
    padded = virtual_accounts.partner_service_id_padded(partner_service_id)
    number = virtual_accounts.participant_number_of(customer_no)
    payment = (
        Payment.objects.filter(
            channel=client.partner,
            channel_ref=payment_request_id,
            lines__participant__participant_number=number,
        )
        .prefetch_related("lines")
        .first()
        if padded == client.partner_service_id and number is not None
        else None
    )
    if payment is None or virtual_account_no != virtual_accounts.virtual_account_number(
        client.partner_service_id, number or ""
    ):
        raise SnapRefusal(snap.TRANSACTION_NOT_FOUND)
    return SnapPaymentStatus(
        payment=payment,
        reversed=any(line.reversed_at is not None for line in payment.lines.all()),
    )
