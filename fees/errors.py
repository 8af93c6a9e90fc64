"""The fees app's refusals, each with a stable code (docs/architecture.md, "Errors")."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import ConflictError


class NoSchemeError(ConflictError):
    """No fee scheme is in force on the first day of the month: nothing can be earned in
    it until head office enters one (the recompute answers the month's requests)."""

    code = "fee_scheme_missing"
    default_message = _("No fee scheme is in force for this month.")
