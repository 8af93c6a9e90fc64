"""Everything held about one person, found by NIK: each app that keeps personal data
registers an exporter here (in its AppConfig.ready), so this module knows no app above
it. Every look-up is recorded, by the NIK's keyed hash only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User

from core import crypto
from core.models import PersonalDataLookup

Exporter = Callable[[str], dict[str, list[dict[str, Any]]]]
_EXPORTERS: list[Exporter] = []


def register(exporter: Exporter) -> Exporter:
    _EXPORTERS.append(exporter)
    return exporter


def personal_data_lookup(*, nik: str, user: User, reason: str, export: bool) -> dict[str, Any]:
    """Returns {section: [records]} from every exporter, and records the look-up."""
    digest = crypto.keyed_digest(nik)
    found: dict[str, Any] = {}
    for exporter in _EXPORTERS:
        found.update(exporter(digest))
    count = sum(len(records) for records in found.values())
    PersonalDataLookup.objects.create(
        user=user, nik_digest=digest, reason=reason[:300], records_found=count, exported=export
    )
    return found
