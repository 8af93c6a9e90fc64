"""Companies, from BPJS Ketenagakerjaan's CSV exports: read whole first, validated row
by row with the Company model's own field validators, upserted by NIB in chunks."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Regency
from core.services import ImportReport, RejectedRow
from partners import rules
from partners.models import Company

logger = logging.getLogger(__name__)

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
# The columns an import may change; a row whose values all match is not written.
COMPARED_FIELDS = (
    "npwp",
    "name",
    "regency_id",
    "npp",
    "reported_workforce",
    "enrolled_active",
    "arrears_months",
)


def _company_row(
    row: Mapping[str, str], *, regencies: set[str], source: str, now: datetime.datetime
) -> Company:
    """The row as an unsaved Company, or ValidationError with every reason, by column.
    The NPWP is normalised first (a 15-digit one gains its leading zero); the regency
    is checked against the codes read once, not with a query per row."""
    errors: dict[str, list[str]] = {}
    npwp = row["npwp"]
    if npwp:
        try:
            npwp = rules.normalise_npwp(npwp)
        except ValueError:
            errors["npwp"] = [_("An NPWP has 15 or 16 digits.")]
    if row["regency_code"] not in regencies:
        errors["regency_code"] = [_("Unknown regency or city code.")]
    company = Company(
        nib=row["nib"],
        npwp=npwp,
        name=row["name"],
        regency_id=row["regency_code"],
        npp=row["npp"],
        reported_workforce=row["reported_workforce"],
        enrolled_active=row["enrolled_active"],
        arrears_months=row["arrears_months"],
        source=source[:200],
        source_updated_at=now,
    )
    try:
        company.clean_fields(exclude=["regency", *(["npwp"] if "npwp" in errors else [])])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        order = {column: index for index, column in enumerate(COMPANY_CSV_HEADER)}
        raise ValidationError(dict(sorted(errors.items(), key=lambda item: order.get(item[0], 99))))
    return company


def _reason(error: ValidationError) -> str:
    return "; ".join(
        f"{column}: {message}"
        for column, messages in error.message_dict.items()
        for message in messages
    )


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
    valid: list[Company] = []
    for line, row in rows:
        if not row:
            report.rejected.append(
                RejectedRow(
                    line, _("Expected %(count)d columns.") % {"count": len(COMPANY_CSV_HEADER)}
                )
            )
            continue
        try:
            company = _company_row(row, regencies=regencies, source=source, now=now)
        except ValidationError as exc:
            report.rejected.append(RejectedRow(line, _reason(exc)))
            continue
        if company.nib in seen:
            report.rejected.append(
                RejectedRow(
                    line, _("NIB already appears on line %(line)d.") % {"line": seen[company.nib]}
                )
            )
            continue
        seen[company.nib] = line
        valid.append(company)

    with transaction.atomic():
        _companies_write(valid, report, progress=progress)
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


def _companies_write(valid: list[Company], report: ImportReport, *, progress: Any) -> None:
    for start in range(0, len(valid), IMPORT_CHUNK):
        chunk = valid[start : start + IMPORT_CHUNK]
        stored = {
            company["nib"]: company
            for company in Company.objects.filter(nib__in=[c.nib for c in chunk]).values(
                "nib", *COMPARED_FIELDS
            )
        }
        writes = []
        for company in chunk:
            before = stored.get(company.nib)
            if before is None:
                report.created += 1
            elif any(before[name] != getattr(company, name) for name in COMPARED_FIELDS):
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            writes.append(company)
        Company.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["nib"],
            update_fields=[*COMPARED_FIELDS, "source", "source_updated_at", "updated_at"],
        )
        if progress is not None:
            progress(min(start + IMPORT_CHUNK, len(valid)), len(valid))
