"""Numbers before sync (DESIGN §9): the agent's device reserves participant numbers while
online, and lists those still to use (a reinstalled app recovers them)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agents.apis import AgentApi
from core.fields import StrictCharField, StrictIntegerField
from core.idempotency import (
    IdempotencyKeyRequiredError,
    checked_key,
    idempotent_call,
    request_hash,
)
from core.pagination import CursorPagination
from core.schema import error_response
from enrollments import selectors, services
from enrollments.apis.agent import VirtualAccountOutputSerializer, virtual_accounts_shown
from enrollments.models import NumberReservation


class ReservationOutputSerializer(serializers.Serializer):
    participant_number = StrictCharField()
    reserved_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    virtual_accounts = serializers.SerializerMethodField()

    @extend_schema_field(VirtualAccountOutputSerializer(many=True))
    def get_virtual_accounts(self, reservation: NumberReservation) -> list[dict[str, str]]:
        """What the worker registered offline writes down to pay into, at each SNAP
        channel."""
        return virtual_accounts_shown(self.context, reservation.participant_number)


class ReservationCreateApi(AgentApi):
    class InputSerializer(serializers.Serializer):
        count = StrictIntegerField(min_value=1, max_value=settings.RESERVATION_MAX_BATCH)

    class OutputSerializer(serializers.Serializer):
        results = ReservationOutputSerializer(many=True)

    @extend_schema(
        operation_id="agent_reservations_create",
        description=(
            "Reserve participant numbers for this agent's device, to give workers registered "
            "offline their number on paper: RESERVATION_MAX_BATCH (100) at most per request, "
            "RESERVATION_MAX_UNUSED (200) unused at most per agent, each usable for "
            "RESERVATION_DAYS (60) days by one registration of this agent (reserved_number). "
            "Send an Idempotency-Key: the same key with the same body replays the first "
            "answer; with another body it is refused (422)."
        ),
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^\\S+$"},
                OpenApiParameter.HEADER,
                required=True,
                description="A UUID the app makes once per request and reuses on every retry.",
            )
        ],
        responses={
            201: OutputSerializer,
            409: error_response(
                "reservation_limit_reached, with `unused`, `limit` and `available`"
            ),
            422: error_response("idempotency_key_mismatch"),
        },
    )
    def post(self, request: Request) -> Response:
        key = _idempotency_key(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        count = serializer.validated_data["count"]
        agent = self.agent

        def work() -> tuple[int, Any]:
            reserved = services.numbers_reserve(agent=agent, count=count)
            return 201, {"results": ReservationOutputSerializer(reserved, many=True).data}

        answer = idempotent_call(
            scope=f"agent:{agent.pk}:reservations",
            key=key,
            payload_hash=request_hash(request.data),
            work=work,
        )
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return Response(answer.body, status=answer.status, headers=headers)


def _idempotency_key(request: Request) -> str:
    """The key as the schema has it: no whitespace inside."""
    key = checked_key(request.headers.get("Idempotency-Key"))
    if any(character.isspace() for character in key):
        raise IdempotencyKeyRequiredError()
    return key


class ReservationListPagination(CursorPagination):
    ordering = "id"  # the oldest, which expire first, first


class ReservationListApi(AgentApi):
    pagination_class = ReservationListPagination

    @extend_schema(
        operation_id="agent_reservations_list",
        description=(
            "The agent's own reserved numbers still to use (not used, not expired), oldest first."
        ),
        responses=ReservationOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        reservations = selectors.reservations_unused_of_agent(agent=self.agent)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(reservations, request, view=self)
        return paginator.get_paginated_response(ReservationOutputSerializer(page, many=True).data)


class ReservationListCreateApi(ReservationListApi, ReservationCreateApi):
    """One path, two operations (GET lists, POST reserves): each stays its own class."""
