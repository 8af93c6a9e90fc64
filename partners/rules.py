"""Permit-check decisions and the NPWP format. Pure."""

from __future__ import annotations

from dataclasses import dataclass

ELIGIBLE, NOT_ELIGIBLE, NOT_REGISTERED = "eligible", "not_eligible", "not_registered"
WORKFORCE_NOT_ENROLLED = "workforce_not_enrolled"
CONTRIBUTION_ARREARS = "contribution_arrears"
# Every reason a decision may give, in the order the API documents them.
REASONS = (WORKFORCE_NOT_ENROLLED, CONTRIBUTION_ARREARS, NOT_REGISTERED)


@dataclass(frozen=True)
class CompanyFacts:
    npp: str
    reported_workforce: int
    enrolled_active: int
    arrears_months: int


@dataclass(frozen=True)
class Decision:
    decision: str
    reasons: tuple[str, ...]


def permit_decision(company: CompanyFacts | None, *, arrears_threshold: int) -> Decision:
    """not_registered without a known company or an NPP; otherwise not_eligible with
    every reason that applies (fewer enrolled than reported; arrears of the threshold
    or more), or eligible."""
    if company is None or not company.npp:
        return Decision(NOT_REGISTERED, (NOT_REGISTERED,))
    reasons = []
    if company.enrolled_active < company.reported_workforce:
        reasons.append(WORKFORCE_NOT_ENROLLED)
    if company.arrears_months >= arrears_threshold:
        reasons.append(CONTRIBUTION_ARREARS)
    return Decision(NOT_ELIGIBLE, tuple(reasons)) if reasons else Decision(ELIGIBLE, ())


def digits_only(raw: str) -> str:
    return "".join(ch for ch in raw if ch.isascii() and ch.isdigit())


def normalise_npwp(raw: str) -> str:
    """15-digit NPWPs (the format used until 2023) become 16 with a leading zero
    (PMK 112/2022); 16 digits stay. Dots and dashes are dropped. Raises ValueError."""
    digits = digits_only(raw)
    if len(digits) == 15:
        return "0" + digits
    if len(digits) == 16:
        return digits
    raise ValueError("An NPWP has 15 or 16 digits.")
