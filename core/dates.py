"""Calendar arithmetic: plain dates, and months as ``YYYY-MM`` periods with their
bounds in a time zone. Pure; the one place month arithmetic lives."""

import calendar
import datetime
import zoneinfo


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the end of a shorter month
    (31 August + 6 months = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def period_of(day: datetime.date) -> str:
    """ "2026-11" for any day of November 2026."""
    return f"{day.year:04d}-{day.month:02d}"


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
