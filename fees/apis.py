from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agents.apis import AgentApi
from fees import selectors
from fees.models import FeeLine, LineKind, StatementStatus

KIND_DESCRIPTIONS = {
    LineKind.COMMISSION: _("Commission on a contribution received"),
    LineKind.ACQUISITION_BONUS: _("Monthly acquisition bonus"),
    LineKind.OVERRIDE: _("Kantor Perisai override"),
    LineKind.REVERSAL: _("Reversal"),
    LineKind.RELEASE: _("Release of a held line"),
    LineKind.ADJUSTMENT: _("Adjustment"),
}


class StatementSummarySerializer(serializers.Serializer):
    period = serializers.CharField()
    status = serializers.ChoiceField(choices=StatementStatus.choices)
    total = serializers.IntegerField(source="total_amount", help_text="Rupiah; held lines excluded")


class AgentFeeListApi(AgentApi):
    pagination_class = None

    class OutputSerializer(serializers.Serializer):
        results = StatementSummarySerializer(many=True)

    @extend_schema(
        operation_id="agent_fees_list",
        description="The agent's own fee statements, newest first.",
        responses=OutputSerializer,
    )
    def get(self, request: Request) -> Response:
        statements = selectors.statements_of_agent(agent=self.agent)
        return Response({"results": StatementSummarySerializer(statements, many=True).data})


class FeeLineOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LineKind.choices)
    amount = serializers.IntegerField()
    held = serializers.BooleanField()
    earned_period = serializers.CharField()
    description = serializers.SerializerMethodField()
    payment_ref = serializers.SerializerMethodField()
    registration_id = serializers.IntegerField(allow_null=True)

    def get_description(self, line: FeeLine) -> str:
        return str(KIND_DESCRIPTIONS.get(LineKind(line.kind), line.kind))

    def get_payment_ref(self, line: FeeLine) -> str | None:
        return line.payment_line.payment.channel_ref if line.payment_line else None


class AgentFeeDetailApi(AgentApi):
    class OutputSerializer(StatementSummarySerializer):
        lines = serializers.SerializerMethodField()

        @extend_schema_field(FeeLineOutputSerializer(many=True))
        def get_lines(self, statement: Any) -> list[dict[str, Any]]:
            lines = selectors.statement_lines(statement=statement)
            return list(FeeLineOutputSerializer(lines, many=True).data)

    @extend_schema(
        operation_id="agent_fees_retrieve",
        description="One month's statement with its lines.",
        responses=OutputSerializer,
    )
    def get(self, request: Request, period: str) -> Response:
        statement = selectors.statement_of_agent(agent=self.agent, period=period)
        return Response(self.OutputSerializer(statement).data)
