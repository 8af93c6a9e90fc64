from __future__ import annotations

import csv
import io
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import query_filters
from core.fields import StrictCharField
from tallies import selectors

COLUMNS = [
    "branch_code",
    "branch_name",
    "as_of",
    "target_new_participants",
    "new_participants",
    "realisation_pct",
    "expected_pct",
    "forecast_year_end",
    "active_participants",
    "non_active_participants",
    "contributions_received",
    "target_contributions",
    "active_agents",
    "productive_agents",
]


class IsStaff(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class TallyCsvRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "results" in data:
            writer.writerow(COLUMNS)
            for row in data["results"]:
                writer.writerow(
                    [
                        row["branch"]["code"],
                        row["branch"]["name"],
                        *[row[name] for name in COLUMNS[2:]],
                    ]
                )
        else:  # an error: keep its shape readable
            writer.writerow(["code", "message"])
            writer.writerow([data.get("code", ""), data.get("message", "")])
        return out.getvalue().encode()


class TallyListApi(APIView):
    permission_classes = [IsStaff]
    renderer_classes = [renderers.JSONRenderer, TallyCsvRenderer]

    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
        region = StrictCharField(max_length=20, required=False)
        branch = StrictCharField(max_length=5, required=False)
        as_of = serializers.DateField(required=False)

    class OutputSerializer(serializers.Serializer):
        class BranchSerializer(serializers.Serializer):
            code = StrictCharField()
            name = StrictCharField()

        branch = BranchSerializer(source="*")
        as_of = serializers.DateField(allow_null=True)
        target_new_participants = serializers.IntegerField()
        new_participants = serializers.IntegerField()
        realisation_pct = serializers.DecimalField(
            max_digits=7, decimal_places=1, allow_null=True, coerce_to_string=False
        )
        expected_pct = serializers.DecimalField(
            max_digits=5, decimal_places=1, allow_null=True, coerce_to_string=False
        )
        forecast_year_end = serializers.IntegerField(allow_null=True)
        active_participants = serializers.IntegerField()
        non_active_participants = serializers.IntegerField()
        contributions_received = serializers.IntegerField()
        target_contributions = serializers.IntegerField()
        active_agents = serializers.IntegerField()
        productive_agents = serializers.IntegerField()

    @extend_schema(
        operation_id="tallies_list",
        description=(
            "Realisation against target per branch, year to date, for staff: the branches they "
            "may see. ?format=csv for a spreadsheet."
        ),
        parameters=[FilterSerializer],
        responses={
            200: OpenApiResponse(
                inline_serializer("TallyList", {"results": OutputSerializer(many=True)}),
                description="One row per branch the caller may see.",
            )
        },
    )
    def get(self, request: Request) -> Response:
        data = query_filters(self.FilterSerializer, request.query_params)
        year = data.get("year") or timezone.localdate().year
        branches = selectors.visible_branches(
            request.user, region=data.get("region"), branch=data.get("branch")
        )
        standings = selectors.branch_standings(
            branches=branches, year=year, as_of=data.get("as_of")
        )
        return Response({"results": self.OutputSerializer(standings, many=True).data})
