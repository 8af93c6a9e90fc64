from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.exceptions import InvalidInputError, NotFoundError
from core.fields import StrictCharField, StrictRegexField
from core.filters import query_filters
from tallies import selectors

# The CSV: one row per branch, then the regions and the nation (when the answer
# holds all their branches), told apart by the first column.
FIGURES = [
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
COLUMNS = ["level", "code", "name", *FIGURES, "labour_force", "coverage_pct", "computed_at"]
FORMATS = ("json", "csv")
# A cohort's shares of its registered workers (tallies.models.CohortFigures).
PCT: dict[str, Any] = {
    "max_digits": 4,
    "decimal_places": 1,
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
    "allow_null": True,
    "coerce_to_string": False,
}


class CanViewTallies(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return selectors.tallies_viewable_by(request.user)


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
            rows = [
                ("branch", {**row, "code": row["branch"]["code"], "name": row["branch"]["name"]})
                for row in data["results"]
            ]
            rows += [("region", row) for row in data.get("regions", [])]
            if data.get("nation"):
                rows.append(("nation", data["nation"]))
            for level, row in rows:
                writer.writerow([level, *[row.get(name, "") for name in COLUMNS[1:]]])
        else:
            _error_rows(writer, data)
        return out.getvalue().encode()


def _error_rows(writer: Any, data: Any) -> None:
    """An error in a CSV answer: keep its shape readable."""
    writer.writerow(["code", "message"])
    writer.writerow([data.get("code", ""), data.get("message", "")])


class FormatChecked(APIView):
    """``?format=`` names one of FORMATS, or the answer is a 400 in the error shape."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        chosen = request.query_params.get("format")
        if chosen and chosen not in FORMATS and not force:
            raise InvalidInputError(
                fields={
                    "format": [_("Choose one of: %(formats)s.") % {"formats": ", ".join(FORMATS)}]
                }
            )
        return super().perform_content_negotiation(request, force)


def _scoped_branches(request: Request, data: dict[str, Any]) -> Any:
    branches = selectors.visible_branches(
        request.user, region=data.get("region"), branch=data.get("branch")
    )
    if (data.get("region") or data.get("branch")) and not branches.exists():
        # Someone else's branch or region is answered as one that does not exist.
        raise NotFoundError(_("No such branch or region among those you may see."))
    return branches


def _attachment(name: str, year: int, data: dict[str, Any]) -> dict[str, str]:
    scope = re.sub(r"[^A-Za-z0-9-]", "", data.get("branch") or data.get("region") or "all")
    return {"Content-Disposition": f'attachment; filename="{name}-{year}-{scope}.csv"'}


class TallyListApi(FormatChecked):
    permission_classes = [CanViewTallies]
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
        computed_at = serializers.DateTimeField(
            allow_null=True, help_text="When the oldest tally behind these figures was computed."
        )
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
        productive_agents = serializers.IntegerField(
            help_text="Active agents with a registration or a contribution this month."
        )

    class RollUpSerializer(OutputSerializer):
        branch = None  # type: ignore[assignment]
        code = StrictCharField()
        name = StrictCharField()
        labour_force = serializers.IntegerField()
        coverage_pct = serializers.DecimalField(
            max_digits=7, decimal_places=1, allow_null=True, coerce_to_string=False
        )

    @extend_schema(
        operation_id="tallies_list",
        description=(
            "Realisation against target per branch, year to date, for staff: the branches they "
            "may see. ?format=csv for a spreadsheet."
        ),
        parameters=[FilterSerializer],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "TallyList",
                    {
                        "results": OutputSerializer(many=True),
                        "regions": RollUpSerializer(many=True),
                        "nation": RollUpSerializer(allow_null=True),
                    },
                ),
                description=(
                    "One row per branch the caller may see; a row per region whose "
                    "branches are all among them, and the nation's when every branch is."
                ),
            ),
        },
    )
    def get(self, request: Request) -> Response:
        data = query_filters(self.FilterSerializer, request.query_params)
        year = data.get("year") or timezone.localdate().year
        branches = _scoped_branches(request, data)
        standings = selectors.standings_with_roll_ups(
            branches=branches, year=year, as_of=data.get("as_of")
        )
        body = {
            "results": self.OutputSerializer(standings.branches, many=True).data,
            "regions": self.RollUpSerializer(standings.regions, many=True).data,
            "nation": self.RollUpSerializer(standings.nation).data if standings.nation else None,
        }
        headers = {}
        if request.accepted_renderer.format == "csv":
            headers = _attachment("tallies", year, data)
        return Response(body, headers=headers)


# Retention ------------------------------------------------------------------------------

COHORT_FIGURES = ["registered", "paid_once", "active_3", "active_6", "active_12"]
RETENTION_COLUMNS = [
    "level",
    "region",
    "branch",
    "agent",
    "name",
    "cohort",
    *COHORT_FIGURES,
    "paid_once_pct",
    "active_3_pct",
    "active_6_pct",
    "active_12_pct",
    "computed_at",
]


class RetentionCsvRenderer(TallyCsvRenderer):
    """One row per branch cohort, then (with ?branch=) one per agent cohort, then the
    regions' and the nation's (when the answer holds all their branches), told apart by
    the first column; a figure not yet known is an empty cell."""

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        if isinstance(data, dict) and "results" in data:
            writer.writerow(RETENTION_COLUMNS)
            rows = [
                ("branch", {**row, "branch": row["branch"]["code"], "name": row["branch"]["name"]})
                for row in data["results"]
            ]
            rows += [
                (
                    "agent",
                    {
                        **row,
                        "branch": row["branch"]["code"],
                        "agent": row["agent"]["code"],
                        "name": row["agent"]["full_name"],
                    },
                )
                for row in data.get("agents", [])
            ]
            rows += [
                ("region", {**row, "region": row["region"]["code"], "name": row["region"]["name"]})
                for row in data.get("regions", [])
            ]
            rows += [("nation", {**row, "name": "Indonesia"}) for row in data.get("nation") or []]
            for level, flat in rows:
                writer.writerow([level, *[_cell(flat, name) for name in RETENTION_COLUMNS[1:]]])
        else:
            _error_rows(writer, data)
        return out.getvalue().encode()


def _cell(row: dict[str, Any], name: str) -> Any:
    value = row.get(name)
    return "" if value is None else value


class CohortSerializer(serializers.Serializer):
    """A registration-month cohort's figures (tallies.models.CohortFigures)."""

    cohort = StrictRegexField(
        r"^[0-9]{4}-(0[1-9]|1[0-2])$",
        source="period",
        help_text="YYYY-MM: the month of registration",
    )
    registered = serializers.IntegerField()
    paid_once = serializers.IntegerField(help_text="Paid at least once (payments standing).")
    active_3 = serializers.IntegerField(
        allow_null=True,
        help_text="Active 3 months after their registration day; null until that day has "
        "passed for the whole cohort.",
    )
    active_6 = serializers.IntegerField(allow_null=True, help_text="As active_3, at 6 months.")
    active_12 = serializers.IntegerField(allow_null=True, help_text="As active_3, at 12 months.")
    paid_once_pct = serializers.DecimalField(**PCT)
    active_3_pct = serializers.DecimalField(**PCT)
    active_6_pct = serializers.DecimalField(**PCT)
    active_12_pct = serializers.DecimalField(**PCT)
    computed_at = serializers.DateTimeField()


class RetentionListApi(FormatChecked):
    permission_classes = [CanViewTallies]
    renderer_classes = [renderers.JSONRenderer, RetentionCsvRenderer]

    class FilterSerializer(serializers.Serializer):
        year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)
        region = StrictCharField(max_length=20, required=False)
        branch = StrictCharField(max_length=5, required=False)

    class BranchCohortSerializer(CohortSerializer):
        class BranchSerializer(serializers.Serializer):
            code = StrictCharField()
            name = StrictCharField()

        branch = BranchSerializer()

    class AgentCohortSerializer(BranchCohortSerializer):
        class AgentSerializer(serializers.Serializer):
            code = StrictCharField()
            full_name = StrictCharField()

        agent = AgentSerializer()

    class RegionCohortSerializer(CohortSerializer):
        class RegionSerializer(serializers.Serializer):
            code = StrictCharField()
            name = StrictCharField()

        region = RegionSerializer(source="*")

    @extend_schema(
        operation_id="tallies_retention",
        description=(
            "Retention by registration-month cohort, for staff: per branch they may see, per "
            "agent when ?branch= names one, and summed per region and for the nation where "
            "the caller sees all of its branches. Cohorts are months of registration (when it "
            "reached the server) in the branch's calendar; a worker is active k months after "
            "registration by the participant status rule applied on that day to the payments "
            "that stand. ?format=csv for a spreadsheet."
        ),
        parameters=[FilterSerializer],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    "RetentionList",
                    {
                        "year": serializers.IntegerField(),
                        "results": BranchCohortSerializer(many=True),
                        "agents": AgentCohortSerializer(many=True),
                        "regions": RegionCohortSerializer(many=True),
                        "nation": CohortSerializer(many=True, allow_null=True),
                    },
                ),
                description=(
                    "One row per branch and cohort of the year; `agents` (one row per agent "
                    "and cohort) only when ?branch= is given, empty otherwise. `regions`: "
                    "the sums per region and cohort, for each region whose branches are all "
                    "among those answered; `nation`: the sums per cohort when every branch is, "
                    "null otherwise. A sum's shares are of its summed counts, and a figure "
                    "is null in a sum while any branch in it does not know it yet."
                ),
            ),
        },
    )
    def get(self, request: Request) -> Response:
        data = query_filters(self.FilterSerializer, request.query_params)
        year = data.get("year") or timezone.localdate().year
        branches = _scoped_branches(request, data)
        agents = selectors.agent_cohorts(branches=branches, year=year) if data.get("branch") else []
        roll_ups = selectors.cohort_roll_ups(branches=branches, year=year)
        body = {
            "year": year,
            "results": self.BranchCohortSerializer(
                selectors.branch_cohorts(branches=branches, year=year), many=True
            ).data,
            "agents": self.AgentCohortSerializer(agents, many=True).data,
            "regions": self.RegionCohortSerializer(roll_ups.regions, many=True).data,
            "nation": None
            if roll_ups.nation is None
            else CohortSerializer(roll_ups.nation, many=True).data,
        }
        headers = {}
        if request.accepted_renderer.format == "csv":
            headers = _attachment("retention", year, data)
        return Response(body, headers=headers)
