"""The rounding rule of fees/rules.py: the Python oracle on worked examples, and the SQL
fragments the recompute runs, evaluated by the database, against the oracle."""

from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from fees.rules import commission_lines, commission_sql, rate_ppm, share, share_sql

RATE_2018 = rate_ppm(Decimal("7.5"))
OVERRIDE = rate_ppm(Decimal("10"))


def test_the_2018_worked_example_comes_out_exactly():
    # 7.5% of Rp38,902,000 = 2,917,650 exactly; the override is 10% of that.
    assert share(38_902_000, RATE_2018) == 2_917_650
    assert share(2_917_650, OVERRIDE) == 291_765


def test_rates_are_parts_per_million():
    assert rate_ppm(Decimal("7.5")) == 75_000
    assert rate_ppm(Decimal("15")) == 150_000
    assert rate_ppm(Decimal("0.0001")) == 1
    with pytest.raises(ValueError, match="decimals"):
        rate_ppm(Decimal("0.00001"))


def test_rounding_is_half_up_and_symmetric():
    assert share(10, 50_000) == 1  # 0.5 -> 1
    assert share(9, 50_000) == 0  # 0.45 -> 0
    assert share(-10, 50_000) == -1  # -0.5 -> -1, not -0
    assert share(36_800, 75_000) == 2_760
    assert share(-2_760, OVERRIDE) == -276


def test_per_payment_commissions_add_up_to_the_month_total():
    rng_amounts = [36_800, 16_800, 110_400, 16_801, 7, 220_800, 13] * 50
    lines = commission_lines(rng_amounts, 75_000)
    assert len(lines) == len(rng_amounts)
    assert sum(lines) == share(sum(rng_amounts), 75_000)
    split = commission_lines(
        [38_902_000 // 3, 38_902_000 // 3, 38_902_000 - 2 * (38_902_000 // 3)], 75_000
    )
    assert sum(split) == 2_917_650


def shares_in_sql(amounts: list[int], ppm: int) -> list[int]:
    """``share_sql`` evaluated by the database over each amount, in order."""
    rows = ", ".join(["(%s, CAST(%s AS BIGINT))"] * len(amounts))
    params = [value for n, amount in enumerate(amounts) for value in (n, amount)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(n, amount) AS (VALUES {rows}) "  # noqa: S608 (placeholders only)
            f"SELECT {share_sql('v.amount')} FROM v ORDER BY v.n",
            [*params, ppm],
        )
        return [row[0] for row in cursor.fetchall()]


def commissions_in_sql(amounts: list[int], ppm: int) -> list[int]:
    """``commission_sql`` over the running totals of ``amounts``, as the recompute runs it."""
    rows = ", ".join(["(%s, CAST(%s AS BIGINT))"] * len(amounts))
    params = [value for n, amount in enumerate(amounts) for value in (n, amount)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH v(n, amount) AS (VALUES {rows}), "  # noqa: S608 (placeholders only)
            "c AS (SELECT n, amount, CAST(SUM(amount) OVER (ORDER BY n) AS BIGINT) AS running "
            "FROM v) "
            f"SELECT {commission_sql('c.running', 'c.amount')} FROM c ORDER BY c.n",
            [*params, ppm, ppm],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "ppm", "expected"),
    [
        (10, 50_000, 1),  # 0.5 rounds up
        (-10, 50_000, -1),  # -0.5 rounds away from zero: floor(x + 0.5) would give 0
        (9, 50_000, 0),
        (-9, 50_000, 0),
        (0, 1_000_000, 0),
        (-5_520, 6_250, -35),  # -34.5: truncating (x * ppm + half) / 10^6 would give -34
        (5_520, 6_250, 35),
        (38_902_000, 75_000, 2_917_650),
        (-500_000, 100_000, -50_000),
        (10**12, 1_000_000, 10**12),
    ],
)
def test_the_sql_share_rounds_as_the_rule_says(amount, ppm, expected):
    assert share(amount, ppm) == expected
    assert shares_in_sql([amount], ppm) == [expected]


@pytest.mark.django_db
@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    amounts=st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=30),
    ppm=st.integers(0, 1_000_000),
)
def test_the_sql_share_is_the_oracle_s_share(amounts, ppm):
    assert shares_in_sql(amounts, ppm) == [share(amount, ppm) for amount in amounts]


@pytest.mark.django_db
@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    amounts=st.lists(st.integers(1, 10**9), min_size=1, max_size=30),
    ppm=st.integers(0, 1_000_000),
)
def test_the_sql_commissions_are_the_oracle_s_commission_lines(amounts, ppm):
    assert commissions_in_sql(amounts, ppm) == commission_lines(amounts, ppm)
