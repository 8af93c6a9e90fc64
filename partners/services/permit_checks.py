"""Permit checks: decided by partners.rules, stored with who asked and the answer given.
``(office, application_ref)`` is unique, so a repeat, even a concurrent one, returns the
first check."""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.db import violated_constraint
from partners import rules, selectors
from partners.errors import (
    ApplicationRefReusedError,
    NotPermitOfficeError,
    OutsideJurisdictionError,
)
from partners.models import PERMIT_CHECK_APPLICATION_UNIQUE, Company, PartnerApiKey, PermitCheck
from partners.serializers import permit_check_answer_text

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PermitCheckResult:
    check: PermitCheck
    created: bool

    @property
    def answer(self) -> dict[str, Any]:
        """What the office was (or, for a repeat, first was) answered."""
        return selectors.permit_check_answer(self.check)


def permit_check_make(
    *,
    api_key: PartnerApiKey,
    client_ip: str,
    nib: str,
    permit_type: str,
    application_ref: str,
    request_body: Mapping[str, Any],
    base_url: str,
) -> PermitCheckResult:
    """Decides, stores and answers a permit check. The same ``application_ref`` from the
    same office returns the first check, whoever asks again and however often."""
    partner = api_key.partner
    if not partner.is_permit_office:
        raise NotPermitOfficeError()
    existing = PermitCheck.objects.filter(partner=partner, application_ref=application_ref).first()
    if existing is not None:
        return _repeat(existing, nib)

    company = Company.objects.select_related("regency").filter(nib=nib).first()
    if company is not None and not selectors.company_in_jurisdiction(
        partner=partner, company=company
    ):
        raise OutsideJurisdictionError()
    facts = (
        rules.CompanyFacts(
            npp=company.npp,
            reported_workforce=company.reported_workforce,
            enrolled_active=company.enrolled_active,
            arrears_months=company.arrears_months,
        )
        if company is not None
        else None
    )
    decision = rules.permit_decision(
        facts, arrears_threshold=settings.PERMIT_ARREARS_THRESHOLD_MONTHS
    )
    now = timezone.now()
    try:
        with transaction.atomic():
            check = PermitCheck.objects.create(
                reference=f"PC-tmp-{secrets.token_hex(6)}",
                partner=partner,
                api_key=api_key,
                client_ip=client_ip,
                application_ref=application_ref,
                permit_type=permit_type,
                nib=nib,
                company=company,
                decision=decision.decision,
                reasons=list(decision.reasons),
                request_body=dict(request_body),
                response_body="",
                checked_at=now,
                valid_until=now + datetime.timedelta(days=settings.PERMIT_CHECK_VALIDITY_DAYS),
            )
            check.reference = f"PC-{timezone.localtime(now).year}-{check.pk:08d}"
            check.response_body = permit_check_answer_text(
                check,
                verification_url=selectors.verification_url(
                    reference=check.reference, base_url=base_url
                ),
            )
            check.save(update_fields=["reference", "response_body"])
    except IntegrityError as exc:
        if violated_constraint(exc) != PERMIT_CHECK_APPLICATION_UNIQUE:
            raise
        # The same application_ref arrived twice at once: the first one stands.
        return _repeat(
            PermitCheck.objects.get(partner=partner, application_ref=application_ref), nib
        )
    logger.info(
        "permit check",
        extra={"office": partner.code, "reference": check.reference, "decision": check.decision},
    )
    return PermitCheckResult(check, created=True)


def _repeat(check: PermitCheck, nib: str) -> PermitCheckResult:
    if check.nib != nib:
        raise ApplicationRefReusedError()
    return PermitCheckResult(check, created=False)
