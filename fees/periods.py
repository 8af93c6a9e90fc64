"""Months as ``YYYY-MM`` strings and their bounds in a branch's time zone. Pure."""

from __future__ import annotations

import datetime
import zoneinfo


def parse_period(period: str) -> tuple[int, int]:
    year, month = (int(part) for part in period.split("-"))
    if not 1 <= month <= 12:
        raise ValueError("A period is YYYY-MM.")
    return year, month


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def period_bounds(
    period: str, zone: zoneinfo.ZoneInfo
) -> tuple[datetime.datetime, datetime.datetime]:
    """[first instant, first instant of the next month) in ``zone``."""
    year, month = parse_period(period)
    following_year, following_month = parse_period(next_period(period))
    return (
        datetime.datetime(year, month, 1, tzinfo=zone),
        datetime.datetime(following_year, following_month, 1, tzinfo=zone),
    )


def first_day(period: str) -> datetime.date:
    year, month = parse_period(period)
    return datetime.date(year, month, 1)
