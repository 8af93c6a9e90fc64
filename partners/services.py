"""Writes for partners: API keys and signing secrets, permit checks, company imports."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.utils.encoders import JSONEncoder

from core import crypto
from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from core.models import Regency
from core.services import ImportReport, RejectedRow
from partners import rules
from partners.models import (
    Company,
    Partner,
    PartnerApiKey,
    PartnerKind,
    PartnerSigningSecret,
    PermitCheck,
    RefusedRequest,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

KEY_PREFIX_BYTES = 6
KEY_SECRET_BYTES = 32
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
COMPANY_CSV_HEADER = [
    "nib",
    "npwp",
    "name",
    "regency_code",
    "npp",
    "reported_workforce",
    "enrolled_active",
    "arrears_months",
]
IMPORT_CHUNK = 2000


class InvalidApiKeyError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    default_message = gettext_lazy("The API key is missing, wrong or revoked.")


class OutsideJurisdictionError(PermissionDeniedError):
    default_message = gettext_lazy("This company is outside your office's jurisdiction.")


# API keys ------------------------------------------------------------------------------


def _key_hash(secret: str) -> str:
    return hmac.new(
        settings.PARTNER_KEY_HASH_KEY.encode(), secret.encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def partner_key_create(
    *, partner: Partner, label: str = "", by: User | None = None
) -> tuple[PartnerApiKey, str]:
    """A new key; the returned string is the only time it exists outside the caller."""
    prefix = secrets.token_hex(KEY_PREFIX_BYTES)
    secret = secrets.token_urlsafe(KEY_SECRET_BYTES)
    key = PartnerApiKey.objects.create(
        partner=partner,
        label=label.strip(),
        prefix=prefix,
        secret_hash=_key_hash(secret),
        created_by=by,
    )
    logger.info("partner key created", extra={"partner": partner.code, "prefix": prefix})
    return key, f"{prefix}.{secret}"


def partner_key_revoke(*, key: PartnerApiKey, by: User | None = None) -> PartnerApiKey:
    PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    key.refresh_from_db(fields=["revoked_at"])
    logger.info("partner key revoked", extra={"prefix": key.prefix})
    return key


def partner_key_authenticate(raw: str) -> PartnerApiKey:
    """The live key of an active partner that ``raw`` is, or InvalidApiKeyError."""
    prefix, dot, secret = raw.strip().partition(".")
    if not dot or not prefix or not secret or len(prefix) > 16:
        raise InvalidApiKeyError()
    key = (
        PartnerApiKey.objects.select_related("partner")
        .filter(prefix=prefix, revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    # Hash even when no key matched, so timing does not tell a real prefix apart.
    offered = _key_hash(secret)
    if key is None or not hmac.compare_digest(offered.encode(), key.secret_hash.encode()):
        raise InvalidApiKeyError()
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        # At most one write a minute per key, and never a read-modify-write.
        PartnerApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return key


# Signing secrets -----------------------------------------------------------------------


@transaction.atomic
def signing_secret_create(*, partner: Partner, label: str = "") -> tuple[PartnerSigningSecret, str]:
    if partner.kind != PartnerKind.PAYMENT_CHANNEL:
        raise ConflictError(_("Only payment channels sign their requests."))
    secret = secrets.token_urlsafe(KEY_SECRET_BYTES)
    record = PartnerSigningSecret.objects.create(
        partner=partner, label=label.strip(), secret_ciphertext=crypto.encrypt(secret)
    )
    return record, secret


def signing_secret_revoke(*, secret: PartnerSigningSecret) -> None:
    PartnerSigningSecret.objects.filter(pk=secret.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def signing_secrets_live(*, partner: Partner) -> list[str]:
    return [
        crypto.decrypt(ciphertext)
        for ciphertext in PartnerSigningSecret.objects.filter(
            partner=partner, revoked_at__isnull=True
        ).values_list("secret_ciphertext", flat=True)
    ]


# Permit checks -------------------------------------------------------------------------


def verification_signature(reference: str) -> str:
    return hmac.new(
        settings.PERMIT_VERIFY_KEY.encode(), reference.encode(), hashlib.sha256
    ).hexdigest()[:32]


def _in_jurisdiction(partner: Partner, company: Company) -> bool:
    regency = company.regency
    return (
        partner.jurisdiction_regencies.filter(pk=regency.pk).exists()
        or partner.jurisdiction_provinces.filter(pk=regency.province_id).exists()
    )


@dataclass(frozen=True)
class PermitCheckResult:
    check: PermitCheck
    created: bool

    @property
    def answer(self) -> dict[str, Any]:
        return dict(json.loads(self.check.response_body))


def _answer(check: PermitCheck, company: Company | None, verification_url: str) -> dict[str, Any]:
    return {
        "reference": check.reference,
        "decision": check.decision,
        "reasons": list(check.reasons),
        "company": (
            {"name": company.name, "nib": company.nib, "npp": company.npp or None}
            if company is not None
            else None
        ),
        "workforce": {
            "reported": company.reported_workforce if company else None,
            "enrolled_active": company.enrolled_active if company else None,
        },
        "arrears_months": company.arrears_months if company else None,
        "permit_type": check.permit_type,
        "application_ref": check.application_ref,
        "checked_at": timezone.localtime(check.checked_at).isoformat(),
        "valid_until": timezone.localtime(check.valid_until).isoformat(),
        "verification_url": verification_url,
    }


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
        raise PermissionDeniedError(_("Only PTSP and PATEN offices check permits."))
    existing = PermitCheck.objects.filter(partner=partner, application_ref=application_ref).first()
    if existing is not None:
        return _repeat(existing, nib)

    company = Company.objects.select_related("regency").filter(nib=nib).first()
    if company is not None and not _in_jurisdiction(partner, company):
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
            url = (
                f"{base_url.rstrip('/')}/api/v1/verify/{check.reference}"
                f"?sig={verification_signature(check.reference)}"
            )
            check.response_body = json.dumps(_answer(check, company, url), cls=JSONEncoder)
            check.save(update_fields=["reference", "response_body"])
    except IntegrityError:
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
        raise ConflictError(_("This application reference was already used for another NIB."))
    return PermitCheckResult(check, created=False)


# Companies -----------------------------------------------------------------------------


def _company_row(row: Mapping[str, str], regencies: set[str]) -> dict[str, Any]:
    """The row's values, or ValueError with the reason."""
    nib = row["nib"]
    if not rules.is_nib(nib):
        raise ValueError(_("A NIB is 13 digits."))
    npwp = ""
    if row["npwp"]:
        try:
            npwp = rules.normalise_npwp(row["npwp"])
        except ValueError:
            raise ValueError(_("An NPWP has 15 or 16 digits.")) from None
    if not row["name"]:
        raise ValueError(_("The name is empty."))
    if len(row["name"]) > 200:
        raise ValueError(_("The name is longer than 200 characters."))
    if row["regency_code"] not in regencies:
        raise ValueError(_("Unknown regency or city code."))
    if len(row["npp"]) > 20:
        raise ValueError(_("The NPP is longer than 20 characters."))
    numbers = {}
    for column in ("reported_workforce", "enrolled_active", "arrears_months"):
        value = row[column]
        if not value.isascii() or not value.isdigit():
            raise ValueError(
                _("%(column)s must be a whole number, zero or more.") % {"column": column}
            )
        numbers[column] = int(value)
    if numbers["arrears_months"] > 32767:
        raise ValueError(_("arrears_months is too large."))
    return {
        "nib": nib,
        "npwp": npwp,
        "name": row["name"],
        "regency_id": row["regency_code"],
        "npp": row["npp"],
        **numbers,
    }


def companies_import(
    *, rows: Iterable[tuple[int, Mapping[str, str]]], source: str, progress: Any = None
) -> ImportReport:
    """Creates or updates companies by NIB, in chunks, in one transaction: unchanged
    rows are not written, invalid rows are rejected with their line number and reason.
    The caller reads the whole file first (core.services.csv_rows), so a malformed file
    writes nothing."""
    report = ImportReport()
    regencies = set(Regency.objects.values_list("code", flat=True))
    now = timezone.now()
    seen: dict[str, int] = {}
    valid: list[dict[str, Any]] = []
    for line, row in rows:
        if not row:
            report.rejected.append(
                RejectedRow(
                    line, _("Expected %(count)d columns.") % {"count": len(COMPANY_CSV_HEADER)}
                )
            )
            continue
        try:
            values = _company_row(row, regencies)
        except ValueError as exc:
            report.rejected.append(RejectedRow(line, str(exc)))
            continue
        if values["nib"] in seen:
            report.rejected.append(
                RejectedRow(
                    line, _("NIB already appears on line %(line)d.") % {"line": seen[values["nib"]]}
                )
            )
            continue
        seen[values["nib"]] = line
        valid.append(values)

    with transaction.atomic():
        _companies_write(valid, report, source=source, now=now, progress=progress)
    logger.info(
        "companies imported",
        extra={
            "source": source,
            "new": report.created,
            "updated": report.updated,
            "rejected": len(report.rejected),
        },
    )
    return report


def _companies_write(
    valid: list[dict[str, Any]],
    report: ImportReport,
    *,
    source: str,
    now: datetime.datetime,
    progress: Any,
) -> None:
    compared = (
        "npwp",
        "name",
        "regency_id",
        "npp",
        "reported_workforce",
        "enrolled_active",
        "arrears_months",
    )
    for start in range(0, len(valid), IMPORT_CHUNK):
        chunk = valid[start : start + IMPORT_CHUNK]
        stored = {
            company["nib"]: company
            for company in Company.objects.filter(nib__in=[v["nib"] for v in chunk]).values(
                "nib", *compared
            )
        }
        writes = []
        for values in chunk:
            before = stored.get(values["nib"])
            if before is None:
                report.created += 1
            elif any(before[name] != values[name] for name in compared):
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            writes.append(Company(**values, source=source[:200], source_updated_at=now))
        Company.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["nib"],
            update_fields=[*compared, "source", "source_updated_at", "updated_at"],
        )
        if progress is not None:
            progress(min(start + IMPORT_CHUNK, len(valid)), len(valid))


# Refused requests ----------------------------------------------------------------------

REFUSED_BODY_LIMIT = 8192


def refused_request_record(
    *,
    partner: Partner | None,
    key_prefix: str,
    method: str,
    path: str,
    status_code: int,
    code: str,
    client_ip: str | None,
    body: bytes,
) -> None:
    """Written outside the refused request's transaction, so it survives the rollback."""
    RefusedRequest.objects.create(
        partner=partner,
        key_prefix=key_prefix[:16],
        method=method[:10],
        path=path[:300],
        status=status_code,
        code=code[:50],
        client_ip=client_ip,
        body=body[:REFUSED_BODY_LIMIT].decode("utf-8", errors="replace"),
    )
