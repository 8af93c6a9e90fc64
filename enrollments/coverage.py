"""Coverage and participant status. Pure.

A payment for N months covers N whole calendar months, starting with the month it was
paid in, or the month after the current paid-through month if that is later; the
participant is then paid through the last day of the last covered month. Dates are the
participant's branch calendar.

Status: awaiting_payment until the first payment; active while paid through today or in
arrears for less than three months; non_active once three whole months past the
paid-through month have gone by without a payment; active again when a payment arrives.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from core.dates import add_months, month_end

AWAITING_PAYMENT, ACTIVE, NON_ACTIVE = "awaiting_payment", "active", "non_active"
LAPSE_MONTHS = 3


@dataclass(frozen=True)
class Coverage:
    covered_from: datetime.date
    covered_through: datetime.date


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def coverage_of(
    *, paid_through: datetime.date | None, paid_on: datetime.date, months: int
) -> Coverage:
    start = first_of_month(paid_on)
    if paid_through is not None:
        after = add_months(first_of_month(paid_through), 1)
        start = max(start, after)
    return Coverage(start, month_end(add_months(start, months - 1)))


def paid_through_of(payments: Iterable[tuple[datetime.date, int]]) -> datetime.date | None:
    """Replays (paid_on, months) in the order given, from no coverage."""
    paid_through: datetime.date | None = None
    for paid_on, months in payments:
        paid_through = coverage_of(
            paid_through=paid_through, paid_on=paid_on, months=months
        ).covered_through
    return paid_through


def lapse_cutoff(today: datetime.date) -> datetime.date:
    """Paid through a day before this and the participant is non-active today."""
    return add_months(first_of_month(today), -LAPSE_MONTHS)


def status_on(paid_through: datetime.date | None, today: datetime.date) -> str:
    if paid_through is None:
        return AWAITING_PAYMENT
    return NON_ACTIVE if paid_through < lapse_cutoff(today) else ACTIVE


def arrears_months(paid_through: datetime.date | None, today: datetime.date) -> int:
    """Whole months due and unpaid, counting the current one."""
    if paid_through is None or paid_through >= today:
        return 0
    return (today.year - paid_through.year) * 12 + today.month - paid_through.month


# Follow-up buckets: which of an agent's recruits need a visit, on the branch's date.
AWAITING_PAYMENT_BUCKET = "awaiting_payment"
DUE = "due"
ARREARS = "arrears"
LAPSED = "lapsed"
FOLLOW_UP_BUCKETS = (AWAITING_PAYMENT_BUCKET, DUE, ARREARS, LAPSED)
DUE_WITHIN_DAYS = 14


def follow_up_bucket(paid_through: datetime.date | None, today: datetime.date) -> str | None:
    """``awaiting_payment`` (never paid), ``due`` (paid through ends within the next 14
    days), ``arrears`` (past paid-through, still active), ``lapsed`` (non-active), or
    ``None`` (paid well ahead). The same dates as ``status_on``."""
    if paid_through is None:
        return AWAITING_PAYMENT_BUCKET
    if paid_through < lapse_cutoff(today):
        return LAPSED
    if paid_through < today:
        return ARREARS
    if paid_through <= today + datetime.timedelta(days=DUE_WITHIN_DAYS):
        return DUE
    return None


def bucket_paid_through_range(
    bucket: str, today: datetime.date
) -> tuple[datetime.date | None, datetime.date | None]:
    """The paid-through dates of ``bucket`` on ``today`` as [from, to) bounds (``None``:
    open); ``awaiting_payment`` is the participants with no paid-through at all."""
    ranges = {
        LAPSED: (None, lapse_cutoff(today)),
        ARREARS: (lapse_cutoff(today), today),
        DUE: (today, today + datetime.timedelta(days=DUE_WITHIN_DAYS + 1)),
    }
    return ranges[bucket]
