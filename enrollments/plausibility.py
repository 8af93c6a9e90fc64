"""Is this worker, as captured, plausible? Pure: plain values in, plain values out.

What cannot be true is refused (a ``PlausibilityError``, with the field it is about);
what is merely unusual is accepted with a warning code, shown to the agent and to the
branch's review queue. The sources and the reasoning behind each figure are in the
README, "Registering workers".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Ages, in whole years on the day of the capture.
# BPS counts the working-age population from 15: a younger "worker" is a typing error.
MINIMUM_AGE = 15
# UU 13/2003 calls anyone under 18 a child (anak): possible for a BPU, but unusual.
ADULT_AGE = 18
# No one lives this long: 0001-01-01 or 1800-01-01 are placeholders, not birth dates.
MAXIMUM_AGE = 120
# BPU enrolment had an upper age (56 in 2017, raising it was proposed): an older new
# participant is flagged for the branch to check against the rule in force.
ENROLMENT_USUAL_MAXIMUM_AGE = 65
# JHT is paid out at 56 (PP 46/2015): saving into it from that age is unusual.
JHT_PAYOUT_AGE = 56

# The consent is taken during the visit that captures the worker.
CONSENT_USUAL_LEAD = datetime.timedelta(days=1)
CONSENT_MAXIMUM_LEAD = datetime.timedelta(days=30)
CONSENT_MAXIMUM_LAG = datetime.timedelta(days=1)


@dataclass(frozen=True)
class PlausibilityError(ValueError):
    """``code`` is stable: too_young, too_old, consent_long_before_capture,
    consent_after_capture."""

    field: str
    code: str


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def birth_date_warnings(
    birth_date: datetime.date, *, captured_on: datetime.date, includes_jht: bool
) -> list[str]:
    age = age_on(birth_date, captured_on)
    if age < MINIMUM_AGE:
        raise PlausibilityError("birth_date", "too_young")
    if age > MAXIMUM_AGE:
        raise PlausibilityError("birth_date", "too_old")
    warnings = []
    if age < ADULT_AGE:
        warnings.append("age_under_18")
    if age >= ENROLMENT_USUAL_MAXIMUM_AGE:
        warnings.append("age_over_enrolment_limit")
    if includes_jht and age >= JHT_PAYOUT_AGE:
        warnings.append("jht_at_payout_age")
    return warnings


def consent_warnings(consent_at: datetime.datetime, *, captured_at: datetime.datetime) -> list[str]:
    if consent_at < captured_at - CONSENT_MAXIMUM_LEAD:
        raise PlausibilityError("consent.at", "consent_long_before_capture")
    if consent_at > captured_at + CONSENT_MAXIMUM_LAG:
        raise PlausibilityError("consent.at", "consent_after_capture")
    if consent_at < captured_at - CONSENT_USUAL_LEAD:
        return ["consent_before_capture"]
    return []
