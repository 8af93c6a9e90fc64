"""Every write to fees goes through here."""

from fees.services.flags import (
    flags_clear,
    flags_confirm_fraud,
    registration_flag,
    registrations_flag_by_rules,
)
from fees.services.idle import idle_agents_deactivate
from fees.services.pending import recomputes_claim_overdue, recomputes_request
from fees.services.recompute import (
    RecomputeResult,
    fees_recompute,
    fees_recompute_branch,
    scheme_for,
)
from fees.services.statements import (
    statement_targets,
    statements_approve,
    statements_forfeit,
    statements_mark_paid,
)

__all__ = [
    "RecomputeResult",
    "fees_recompute",
    "fees_recompute_branch",
    "flags_clear",
    "flags_confirm_fraud",
    "idle_agents_deactivate",
    "recomputes_claim_overdue",
    "recomputes_request",
    "registration_flag",
    "registrations_flag_by_rules",
    "scheme_for",
    "statement_targets",
    "statements_approve",
    "statements_forfeit",
    "statements_mark_paid",
]
