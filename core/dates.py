"""Calendar arithmetic on plain dates. Pure."""

import calendar
import datetime


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
