"""Reads for partners: what staff may see, an office's own checks, the public
verification, and the secrets a signature is checked against."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet

from agents.selectors import regencies_visible_to, staff_regency_filter
from core import crypto
from core.exceptions import NotFoundError
from partners.models import Company, Partner, PartnerSigningSecret, PermitCheck, SnapClient

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def signing_secrets_live(*, partner: Partner) -> list[str]:
    return [
        crypto.decrypt(ciphertext)
        for ciphertext in PartnerSigningSecret.objects.filter(
            partner=partner, revoked_at__isnull=True
        ).values_list("secret_ciphertext", flat=True)
    ]


def company_in_jurisdiction(*, partner: Partner, company: Company) -> bool:
    regency = company.regency
    return (
        partner.jurisdiction_regencies.filter(pk=regency.pk).exists()
        or partner.jurisdiction_provinces.filter(pk=regency.province_id).exists()
    )


def companies_visible_to(
    user: User | AnonymousUser, companies: QuerySet[Company] | None = None
) -> QuerySet[Company]:
    """Staff see the companies of their branch's (or region's) regencies, see
    agents.selectors.staff_regency_filter; head office all of them. ``companies``
    narrows a queryset of the caller's (the admin's)."""
    scope = staff_regency_filter(user, regency_path="regency")
    companies = Company.objects.all() if companies is None else companies
    return companies if scope is None else companies.filter(scope)


def permit_checks_visible_to(
    user: User | AnonymousUser, checks: QuerySet[PermitCheck] | None = None
) -> QuerySet[PermitCheck]:
    """Checks of a company staff may see; a check of an NIB that matched no company, if
    the office that made it has jurisdiction over one of their regencies."""
    scope = staff_regency_filter(user, regency_path="company__regency")
    checks = PermitCheck.objects.all() if checks is None else checks
    if scope is None:
        return checks
    regencies = regencies_visible_to(user)
    offices = Partner.objects.filter(
        Q(jurisdiction_regencies__in=regencies) | Q(jurisdiction_provinces__regencies__in=regencies)
    ).values("pk")
    return checks.filter(scope | Q(company__isnull=True, partner__in=offices))


def verification_signature(reference: str) -> str:
    return hmac.new(
        settings.PERMIT_VERIFY_KEY.encode(), reference.encode(), hashlib.sha256
    ).hexdigest()[:32]


def verification_url(*, reference: str, base_url: str) -> str:
    """The public link printed on a permit: the reference and its signature."""
    return (
        f"{base_url.rstrip('/')}/api/v1/verify/{reference}?sig={verification_signature(reference)}"
    )


def permit_check_answer(check: PermitCheck) -> dict[str, Any]:
    """The answer the check gave, as it gave it (partners.serializers rendered it): a
    repeat and a later look-up show the company's figures of that day, not today's."""
    return dict(json.loads(check.response_body))


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


def snap_service_ids() -> list[tuple[str, str]]:
    """(channel code, partnerServiceId as padded) of every active SNAP channel, by code:
    the virtual accounts a participant can pay into."""
    return list(
        SnapClient.objects.filter(partner__is_active=True)
        .order_by("partner__code")
        .values_list("partner__code", "partner_service_id")
    )
