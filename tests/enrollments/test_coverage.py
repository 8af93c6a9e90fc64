import datetime

import pytest

from enrollments.coverage import arrears_months, coverage_of, paid_through_of, status_on

d = datetime.date


@pytest.mark.parametrize(
    ("paid_through", "paid_on", "months", "covered"),
    [
        (None, d(2026, 11, 21), 3, (d(2026, 11, 1), d(2027, 1, 31))),  # across a year end
        (None, d(2026, 1, 31), 1, (d(2026, 1, 1), d(2026, 1, 31))),
        (None, d(2027, 2, 28), 12, (d(2027, 2, 1), d(2028, 1, 31))),
        (None, d(2027, 12, 1), 3, (d(2027, 12, 1), d(2028, 2, 29))),  # into a leap February
        (d(2027, 1, 31), d(2026, 11, 25), 1, (d(2027, 2, 1), d(2027, 2, 28))),  # prepaid on top
        (d(2026, 11, 30), d(2026, 11, 30), 6, (d(2026, 12, 1), d(2027, 5, 31))),
        (d(2026, 3, 31), d(2026, 11, 25), 1, (d(2026, 11, 1), d(2026, 11, 30))),  # after a lapse
    ],
)
def test_coverage(paid_through, paid_on, months, covered):
    result = coverage_of(paid_through=paid_through, paid_on=paid_on, months=months)
    assert (result.covered_from, result.covered_through) == covered


def test_paid_through_replays_payments_in_order():
    assert paid_through_of([]) is None
    assert paid_through_of([(d(2026, 1, 10), 3), (d(2026, 2, 1), 1)]) == d(2026, 4, 30)
    assert paid_through_of([(d(2026, 1, 10), 1), (d(2026, 9, 1), 1)]) == d(2026, 9, 30)


@pytest.mark.parametrize(
    ("paid_through", "today", "status", "arrears"),
    [
        (None, d(2026, 11, 22), "awaiting_payment", 0),
        (d(2026, 11, 30), d(2026, 11, 22), "active", 0),
        (d(2026, 10, 31), d(2026, 11, 22), "active", 1),
        (d(2026, 8, 31), d(2026, 11, 30), "active", 3),  # three months unpaid, not yet past
        (d(2026, 8, 31), d(2026, 12, 1), "non_active", 4),
        (d(2025, 12, 31), d(2026, 3, 31), "active", 3),
        (d(2025, 12, 31), d(2026, 4, 1), "non_active", 4),
    ],
)
def test_status_and_arrears(paid_through, today, status, arrears):
    assert status_on(paid_through, today) == status
    assert arrears_months(paid_through, today) == arrears
