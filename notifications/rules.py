"""The rules of sending, as plain functions over plain values: when a message may go
(quiet hours, the daily cap's day), how long a failed attempt waits, what a template may
say, what a log may show. No ORM; the services apply them."""

from __future__ import annotations

import datetime
import re
import string
import zoneinfo
from collections.abc import Mapping
from functools import cache

# Every template kind's placeholders: what a caller must give to render it, and all a
# template of that kind may use. The caller's contract (docs/architecture.md).
WELCOME = "welcome"
REMINDER_DUE = "reminder_due"
ARREARS_1 = "arrears_1"
ARREARS_2 = "arrears_2"
LAPSE_NOTICE = "lapse_notice"
RECEIPT = "receipt"
MANUAL = "manual"

_PAY = ("payment_code", "virtual_account")
PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    WELCOME: frozenset({"name", "participant_number", "amount", "months", *_PAY}),
    RECEIPT: frozenset({"name", "participant_number", "amount", "months", "paid_through"}),
    REMINDER_DUE: frozenset({"name", "participant_number", "paid_through", "amount", *_PAY}),
    ARREARS_1: frozenset({"name", "participant_number", "paid_through", "amount", *_PAY}),
    ARREARS_2: frozenset({"name", "participant_number", "paid_through", "amount", *_PAY}),
    LAPSE_NOTICE: frozenset({"name", "participant_number", "amount", *_PAY}),
}
STOP_WORDS = frozenset({"BERHENTI", "STOP"})


class TemplateTextError(ValueError):
    """``code`` says what is wrong; ``names`` the placeholders concerned."""

    def __init__(self, code: str, names: tuple[str, ...] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.names = names


def placeholders_of(text: str) -> set[str]:
    """The named placeholders of a ``str.format_map`` template. Raises TemplateTextError
    for unbalanced braces, positional ``{}``, attribute or index access (``{a.b}``,
    ``{a[0]}``), conversions and format specifications: a placeholder is a plain name,
    filled with text the caller already formatted."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateTextError("template_braces") from None
    names: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise TemplateTextError("template_placeholder_form", (name,))
        names.add(name)
    return names


def template_check(kind: str, text: str) -> None:
    unknown = placeholders_of(text) - PLACEHOLDERS[kind]
    if unknown:
        raise TemplateTextError("template_unknown_placeholder", tuple(sorted(unknown)))


def context_check(kind: str, context: Mapping[str, object]) -> None:
    """A caller gives exactly the kind's placeholders, so every version of its template
    renders, whatever head office writes in it."""
    expected = PLACEHOLDERS[kind]
    missing, unknown = expected - set(context), set(context) - expected
    if missing:
        raise TemplateTextError("context_missing", tuple(sorted(missing)))
    if unknown:
        raise TemplateTextError("context_unknown", tuple(sorted(unknown)))


def render(text: str, context: Mapping[str, object]) -> str:
    return text.format_map({name: str(value) for name, value in context.items()})


def template_pieces(text: str) -> list[tuple[str, str | None]]:
    """The template as (literal text, placeholder or None) pairs, in order, with ``{{``
    and ``}}`` already read as braces: what ``render`` does, for a renderer that is not
    Python (the outbox's set-based writes build the same text in SQL from them)."""
    placeholders_of(text)  # the same refusals as render
    return [(literal, name) for literal, name, _spec, _conversion in string.Formatter().parse(text)]


# Time ------------------------------------------------------------------------------


@cache
def zone_of(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def zone_known(name: str) -> bool:
    return name in _available_zones()


@cache
def _available_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def sending_time(
    moment: datetime.datetime, zone_name: str, *, from_hour: int, until_hour: int
) -> datetime.datetime:
    """The first instant at or after ``moment`` inside the sending window
    [from_hour, until_hour) of the recipient's local day, in UTC."""
    local = moment.astimezone(zone_of(zone_name))
    opens = local.replace(hour=from_hour, minute=0, second=0, microsecond=0)
    closes = local.replace(hour=until_hour, minute=0, second=0, microsecond=0)
    if local < opens:
        return opens.astimezone(datetime.UTC)
    if local >= closes:
        return (opens + datetime.timedelta(days=1)).astimezone(datetime.UTC)
    return moment.astimezone(datetime.UTC)


def local_day_bounds(
    moment: datetime.datetime, zone_name: str
) -> tuple[datetime.datetime, datetime.datetime]:
    """[midnight, next midnight) of ``moment``'s local day in the recipient's zone."""
    zone = zone_of(zone_name)
    day = moment.astimezone(zone).date()
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def next_day_opening(
    moment: datetime.datetime, zone_name: str, *, from_hour: int
) -> datetime.datetime:
    """``from_hour`` on the local day after ``moment``'s: where a message over the daily
    cap waits."""
    _start, following = local_day_bounds(moment, zone_name)
    return following.replace(hour=from_hour).astimezone(datetime.UTC)


def retry_delay(attempts: int, *, base_seconds: int, max_seconds: int) -> datetime.timedelta:
    """After the ``attempts``-th failed attempt (1, 2, ...): base x 2^(attempts - 1),
    capped."""
    exponent = min(max(attempts - 1, 0), 32)
    return datetime.timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))


# What logs and staff may see -----------------------------------------------------------

_LONG_DIGIT_RUN = re.compile(r"\d{16,}")


def mask_phone(phone: str) -> str:
    """+6281234567890 -> +62812****890: the operator prefix and the last three digits."""
    if len(phone) < 10:
        return "*" * len(phone)
    return f"{phone[:6]}****{phone[-3:]}"


def mask_long_digit_runs(text: str) -> str:
    """Any run of 16 digits or more (the length of a NIK) shown as its last four."""
    return _LONG_DIGIT_RUN.sub(lambda match: "*" * (len(match[0]) - 4) + match[0][-4:], text)


def is_stop_word(text: str) -> bool:
    return " ".join(text.split()).upper() in STOP_WORDS
