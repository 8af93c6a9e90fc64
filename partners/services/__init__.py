"""Every write to partners goes through here."""

from partners.services.companies import COMPANY_CSV_HEADER, companies_import
from partners.services.keys import (
    partner_key_authenticate,
    partner_key_create,
    partner_key_revoke,
)
from partners.services.permit_checks import PermitCheckResult, permit_check_make
from partners.services.refusals import refused_request_record
from partners.services.signing import signing_secret_create, signing_secret_revoke

__all__ = [
    "COMPANY_CSV_HEADER",
    "PermitCheckResult",
    "companies_import",
    "partner_key_authenticate",
    "partner_key_create",
    "partner_key_revoke",
    "permit_check_make",
    "refused_request_record",
    "signing_secret_create",
    "signing_secret_revoke",
]
