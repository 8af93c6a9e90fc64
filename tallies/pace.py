"""Realisation, pace and forecast. Pure: plain counts and dates in, Decimals out.

- realisation % = done / target, on the year;
- expected % = the share of the year elapsed by the end of the date (pro rata by day:
  31 December is 100%, and 29 February counts as a day of a 366-day year);
- forecast at year end = done so far, continued at the same daily pace to 31 December;
- coverage % = active participants / labour force.

Percentages are rounded half up to one decimal; forecasts to a whole number.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


def days_in_year(year: int) -> int:
    return (datetime.date(year + 1, 1, 1) - datetime.date(year, 1, 1)).days


def day_of_year(day: datetime.date) -> int:
    return day.timetuple().tm_yday


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def realisation_pct(done: int, target: int) -> Decimal | None:
    return percent(done, target)


def expected_pct(day: datetime.date) -> Decimal:
    """The share of the year elapsed at the end of ``day``."""
    return percent(day_of_year(day), days_in_year(day.year)) or Decimal(0)


def forecast_year_end(done: int, day: datetime.date) -> int:
    elapsed = day_of_year(day)
    pace = Decimal(done) * days_in_year(day.year) / elapsed
    return int(pace.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def coverage_pct(active: int, labour_force: int | None) -> Decimal | None:
    return percent(active, labour_force) if labour_force else None
