import datetime
from decimal import Decimal

import pytest

from tallies.pace import (
    coverage_pct,
    days_in_year,
    expected_pct,
    forecast_year_end,
    realisation_pct,
)

d = datetime.date


def test_the_kendari_example():
    assert realisation_pct(344, 1_980) == Decimal("17.4")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (d(2026, 1, 1), Decimal("0.3")),  # 1/365
        (d(2026, 12, 31), Decimal("100.0")),
        (d(2024, 2, 29), Decimal("16.4")),  # day 60 of 366
        (d(2024, 12, 31), Decimal("100.0")),
        (d(2021, 3, 21), Decimal("21.9")),  # the third week of March: 80/365
    ],
)
def test_expected_is_pro_rata_by_day(day, expected):
    assert expected_pct(day) == expected


def test_days_in_year():
    assert (days_in_year(2024), days_in_year(2026), days_in_year(2100)) == (366, 365, 365)


@pytest.mark.parametrize(
    ("done", "day", "forecast"),
    [
        (344, d(2021, 3, 21), 1_570),  # 344 / 80 days * 365
        (10, d(2026, 1, 1), 3_650),
        (1_980, d(2026, 12, 31), 1_980),
        (60, d(2024, 2, 29), 366),
        (0, d(2026, 6, 1), 0),
    ],
)
def test_forecast_continues_the_pace(done, day, forecast):
    assert forecast_year_end(done, day) == forecast


def test_no_target_or_labour_force_gives_no_percentage():
    assert realisation_pct(10, 0) is None
    assert coverage_pct(103_000, None) is None
    assert coverage_pct(103_000, 1_200_000) == Decimal("8.6")
