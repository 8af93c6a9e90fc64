import hmac

from core.exceptions import NotFoundError
from partners.models import Partner, PermitCheck
from partners.services import verification_signature


def permit_check_of_partner(*, partner: Partner, reference: str) -> PermitCheck:
    check = PermitCheck.objects.filter(partner=partner, reference=reference).first()
    if check is None:
        raise NotFoundError()
    return check


def permit_check_verified(*, reference: str, sig: str) -> PermitCheck:
    """The check, if ``sig`` is its signature. A wrong signature and an unknown
    reference look the same (404), so references cannot be probed."""
    # Bytes, not str: compare_digest refuses str with non-ASCII characters.
    if not hmac.compare_digest(verification_signature(reference).encode(), sig.encode()):
        raise NotFoundError()
    check = PermitCheck.objects.select_related("company").filter(reference=reference).first()
    if check is None:
        raise NotFoundError()
    return check
