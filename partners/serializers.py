"""The permit-check answer, defined once.

A check keeps the answer it gave (for a repeat of the same application, a later look-up
and the audit), written in the transaction that makes the check; so the service renders
it with this serializer, the API sends exactly what was stored, and the OpenAPI schema
documents this same serializer. It lives here rather than in apis.py because services
never import the API layer."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from core.fields import StrictCharField
from partners import rules
from partners.models import PermitCheck, PermitDecision


class _BlankAsNullCharField(StrictCharField):
    def to_representation(self, value: Any) -> Any:
        return value or None


class _VerificationUrlField(serializers.URLField):
    """The check's public link: it depends on the address the API was called at, so the
    caller gives it in the context."""

    def __init__(self) -> None:
        super().__init__(source="*")

    def to_representation(self, value: Any) -> Any:
        return str(self.context["verification_url"])


# A check of an NIB that matched no company has ``company`` null and null figures.
# (A comment, not a docstring: the schema would publish a docstring.)
class PermitCheckOutputSerializer(serializers.Serializer):
    class CompanySerializer(serializers.Serializer):
        name = StrictCharField()
        nib = StrictCharField()
        npp = _BlankAsNullCharField(allow_null=True)

    class WorkforceSerializer(serializers.Serializer):
        reported = serializers.IntegerField(source="company.reported_workforce", allow_null=True)
        enrolled_active = serializers.IntegerField(
            source="company.enrolled_active", allow_null=True
        )

    reference = StrictCharField()
    decision = serializers.ChoiceField(choices=PermitDecision.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=list(rules.REASONS)))
    company = CompanySerializer(allow_null=True)
    workforce = WorkforceSerializer(source="*")
    arrears_months = serializers.IntegerField(source="company.arrears_months", allow_null=True)
    permit_type = StrictCharField()
    application_ref = StrictCharField()
    checked_at = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
    verification_url = _VerificationUrlField()


def permit_check_answer_text(check: PermitCheck, *, verification_url: str) -> str:
    """The answer as the check stores it (text, so it is replayed as it was given)."""
    answer = PermitCheckOutputSerializer(check, context={"verification_url": verification_url})
    return json.dumps(answer.data, cls=JSONEncoder)
