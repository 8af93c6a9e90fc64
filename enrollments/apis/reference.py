"""The reference data the agent app prices and validates a registration with offline."""

from __future__ import annotations

import hashlib
import json

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from agents.apis import AgentApi
from core.etags import not_modified
from core.fields import StrictCharField
from enrollments import pricing, selectors
from enrollments.models import (
    PAYMENT_PERIODS,
    Program,
    Registration,
)


class ReferenceProgramSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=Program.choices)
    name = StrictCharField()
    mandatory = serializers.BooleanField()


class ReferenceLevelContributionSerializer(serializers.Serializer):
    jkk = serializers.IntegerField()
    jkm = serializers.IntegerField()
    jht = serializers.IntegerField()
    monthly_total = serializers.IntegerField()
    monthly_total_with_jht = serializers.IntegerField()


class ReferenceIncomeLevelSerializer(serializers.Serializer):
    amount = serializers.IntegerField()
    contribution = ReferenceLevelContributionSerializer(allow_null=True)


class ReferenceOccupationSerializer(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()
    name_en = StrictCharField()


class ReferenceProvinceSerializer(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()


class ReferenceRegencySerializer(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()
    province_code = StrictCharField()


class ReferenceOutputSerializer(serializers.Serializer):
    # The reference answer, for the schema (the view builds it as a dict).
    as_of = serializers.DateField()
    programs = ReferenceProgramSerializer(many=True)
    income_levels = ReferenceIncomeLevelSerializer(many=True)
    payment_periods = serializers.ListField(child=serializers.IntegerField())
    occupations = ReferenceOccupationSerializer(many=True)
    consent_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=Registration.ConsentMethod.choices)
    )
    provinces = ReferenceProvinceSerializer(many=True)
    regencies = ReferenceRegencySerializer(many=True)


class ReferenceApi(AgentApi):
    @extend_schema(
        operation_id="reference_retrieve",
        description=(
            "Everything the app's offline forms need, as in force today in the agent's "
            "branch. Cache it and send If-None-Match: an unchanged answer is 304."
        ),
        parameters=[
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)
        ],
        responses={
            200: OpenApiResponse(ReferenceOutputSerializer, description="Reference data"),
            304: OpenApiResponse(description="Not modified"),
        },
    )
    def get(self, request: Request) -> Response:
        today = self.agent.branch.local_today()
        snapshot = selectors.reference_snapshot(on=today)
        provinces, regencies = selectors.provinces_and_regencies()
        body = {
            "as_of": today.isoformat(),
            "programs": [
                {"code": code, "name": str(label), "mandatory": code in pricing.MANDATORY}
                for code, label in Program.choices
            ],
            "income_levels": [
                {"amount": amount, "contribution": _level_contribution(amount, snapshot)}
                for amount in snapshot.income_levels
            ],
            "payment_periods": list(PAYMENT_PERIODS),
            "occupations": [
                {"code": occupation.code, "name": occupation.name, "name_en": occupation.name_en}
                for occupation in sorted(snapshot.occupations.values(), key=lambda o: o.name)
            ],
            "consent_methods": [code for code, _label in Registration.ConsentMethod.choices],
            "provinces": [{"code": p.code, "name": p.name} for p in provinces],
            "regencies": [
                {"code": r.code, "name": r.name, "province_code": r.province_id} for r in regencies
            ],
        }
        encoded = json.dumps(body, cls=JSONEncoder, sort_keys=True).encode()
        etag = f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'
        if not_modified(etag, request.headers.get("If-None-Match")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag, "Cache-Control": "private, no-cache"})


def _level_contribution(
    amount: int, snapshot: selectors.ReferenceSnapshot
) -> dict[str, int] | None:
    try:
        without = pricing.price_contribution(
            declared_income=amount,
            include_jht=False,
            period_months=1,
            rates=snapshot.rates,
            reliefs=snapshot.reliefs,
        )
        with_jht = pricing.price_contribution(
            declared_income=amount,
            include_jht=True,
            period_months=1,
            rates=snapshot.rates,
            reliefs=snapshot.reliefs,
        )
    except pricing.PricingError:
        return None
    return {
        "jkk": without.jkk,
        "jkm": without.jkm,
        "jht": with_jht.jht,
        "monthly_total": without.monthly_total,
        "monthly_total_with_jht": with_jht.monthly_total,
    }
