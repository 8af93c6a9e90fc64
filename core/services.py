"""Writes to the shared reference data (geography), and small helpers every app's
services use."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.models import Province, Regency

M = TypeVar("M", bound=models.Model)

REGENCY_CSV_HEADER = ["code", "name"]


def model_update(*, instance: M, data: Mapping[str, Any]) -> tuple[M, bool]:
    """Sets only the fields whose value differs, validates, and saves just those
    (``update_fields``). Returns the instance and whether anything changed."""
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if not changed:
        return instance, False
    for name in changed:
        setattr(instance, name, data[name])
    instance.full_clean()
    update_fields = list(changed)
    if any(getattr(f, "auto_now", False) for f in instance._meta.concrete_fields):
        update_fields += [
            f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)
        ]
    instance.save(update_fields=update_fields)
    return instance, True


def model_ensure(
    *, model: type[M], lookup: Mapping[str, Any], data: Mapping[str, Any]
) -> tuple[M, bool]:
    """Creates the row found by ``lookup`` with ``data``, or brings an existing one up
    to ``data`` touching nothing that already matches: running it twice writes nothing
    the second time. Returns the row and whether it was written."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **data)
        instance.full_clean()
        instance.save()
        return instance, True
    return model_update(instance=instance, data=data)


class MalformedFileError(ApplicationError):
    code = "malformed_file"
    default_message = gettext_lazy("The file cannot be read.")


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)


def csv_rows(stream: IO[str], *, header: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yields (line number, row) for a UTF-8 CSV whose header is exactly ``header``.
    Raises MalformedFileError for a wrong header or a file that is not UTF-8 text."""
    try:
        reader = csv.reader(stream)
        found = next(reader, None)
        if found is None or [column.strip().lstrip("\ufeff") for column in found] != header:
            raise MalformedFileError(
                _("The header must be exactly: %(header)s") % {"header": ",".join(header)}
            )
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                yield reader.line_num, {}
                continue
            yield (
                reader.line_num,
                {key: cell.strip() for key, cell in zip(header, row, strict=True)},
            )
    except UnicodeDecodeError as exc:
        raise MalformedFileError(_("The file is not UTF-8 text.")) from exc
    except csv.Error as exc:
        raise MalformedFileError(_("The file is not valid CSV.")) from exc


def regency_csv_read(stream: IO[str]) -> list[tuple[int, dict[str, str]]]:
    """Reads the whole file first, so a file broken half-way writes nothing."""
    return list(csv_rows(stream, header=REGENCY_CSV_HEADER))


@transaction.atomic
def regencies_import(*, rows: Iterable[tuple[int, Mapping[str, str]]]) -> ImportReport:
    """Creates or renames regencies by code. Idempotent: rows that match what is
    stored are counted as unchanged and not written. Invalid rows are rejected with
    their line number; the valid ones are imported."""
    report = ImportReport()
    province_codes = set(Province.objects.values_list("code", flat=True))
    existing = {r.code: r for r in Regency.objects.all()}
    seen: dict[str, int] = {}
    to_create: list[Regency] = []
    to_update: list[Regency] = []

    for line, row in rows:
        if not row:
            report.rejected.append(
                RejectedRow(
                    line, _("Expected %(count)d columns.") % {"count": len(REGENCY_CSV_HEADER)}
                )
            )
            continue
        code, name = row["code"], row["name"]
        candidate = Regency(code=code, name=name, province_id=code[:2])
        try:
            candidate.clean_fields()
            if code[:2] not in province_codes:
                raise ValidationError(_("Unknown province code %(code)s.") % {"code": code[:2]})
        except ValidationError as exc:
            report.rejected.append(RejectedRow(line, "; ".join(exc.messages)))
            continue
        if code in seen:
            report.rejected.append(
                RejectedRow(
                    line,
                    _("Code %(code)s already appears on line %(line)d.")
                    % {"code": code, "line": seen[code]},
                )
            )
            continue
        seen[code] = line
        stored = existing.get(code)
        if stored is None:
            to_create.append(candidate)
        elif stored.name != name:
            stored.name = name
            to_update.append(stored)
        else:
            report.unchanged += 1

    Regency.objects.bulk_create(
        to_create, update_conflicts=True, unique_fields=["code"], update_fields=["name"]
    )
    Regency.objects.bulk_update(to_update, ["name"])
    report.created, report.updated = len(to_create), len(to_update)
    return report
