"""The agent's follow-up work list (their recruits who need a visit) and the contacts
they record, online or from the offline queue."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from agents.apis import AgentApi
from core.etags import not_modified
from core.fields import StrictCharField
from core.filters import query_filters
from core.pagination import CursorPagination
from core.schema import ErrorSerializer
from enrollments import coverage, selectors, services
from enrollments.apis.batches import envelope_items, error_of, validated_items
from enrollments.models import (
    PAYMENT_PERIODS,
    ContactMethod,
    ContactOutcome,
    FollowUpContact,
    Participant,
    Registration,
)

# Output ----------------------------------------------------------------------------------


class LastContactOutputSerializer(serializers.Serializer):
    contacted_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    promised_on = serializers.DateField(allow_null=True)


class PeriodAmountOutputSerializer(serializers.Serializer):
    months = serializers.IntegerField()
    amount = serializers.IntegerField()


class HowToPayOutputSerializer(serializers.Serializer):
    payment_code = StrictCharField()


class FollowUpOutputSerializer(serializers.Serializer):
    """One recruit on the work list. The phone is the one the worker gave this agent,
    shown to them in full; the NIK only masked."""

    registration_id = serializers.IntegerField(source="id")
    participant_number = StrictCharField(source="participant.participant_number")
    full_name = StrictCharField(source="participant.full_name")
    nik_masked = StrictCharField(source="participant.nik_masked")
    phone = serializers.CharField(source="participant.phone", allow_blank=True)
    status = serializers.ChoiceField(
        source="participant.status", choices=Participant.Status.choices
    )
    paid_through = serializers.DateField(source="participant.paid_through", allow_null=True)
    arrears_months = serializers.SerializerMethodField()
    amounts = serializers.SerializerMethodField()
    how_to_pay = serializers.SerializerMethodField()
    last_contact = serializers.SerializerMethodField()

    @extend_schema_field(serializers.IntegerField())
    def get_arrears_months(self, registration: Registration) -> int:
        participant = registration.participant
        return coverage.arrears_months(participant.paid_through, participant.branch.local_today())

    @extend_schema_field(PeriodAmountOutputSerializer(many=True))
    def get_amounts(self, registration: Registration) -> list[dict[str, int]]:
        return [
            {"months": months, "amount": registration.monthly_total * months}
            for months in PAYMENT_PERIODS
        ]

    @extend_schema_field(HowToPayOutputSerializer())
    def get_how_to_pay(self, registration: Registration) -> dict[str, str]:
        return {"payment_code": registration.payment_code}

    @extend_schema_field(LastContactOutputSerializer(allow_null=True))
    def get_last_contact(self, registration: Registration) -> dict[str, Any] | None:
        # last_contact_id: annotated by selectors.follow_ups_of_agent.
        contact = self.context["contacts"].get(registration.last_contact_id)  # type: ignore[attr-defined]
        return LastContactOutputSerializer(contact).data if contact else None


class FollowUpCountsOutputSerializer(serializers.Serializer):
    awaiting_payment = serializers.IntegerField()
    due = serializers.IntegerField()
    arrears = serializers.IntegerField()
    lapsed = serializers.IntegerField()


class FollowUpListOutputSerializer(serializers.Serializer):
    counts = FollowUpCountsOutputSerializer()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FollowUpOutputSerializer(many=True)


class FollowUpPagination(CursorPagination):
    # The position is the bucket's urgency key; ties are told apart by offset.
    ordering = ("sort_key", "id")  # type: ignore[assignment]  # DRF takes a tuple too


class FollowUpListApi(AgentApi):
    pagination_class = FollowUpPagination

    class FilterSerializer(serializers.Serializer):
        bucket = serializers.ChoiceField(choices=list(coverage.FOLLOW_UP_BUCKETS))

    @extend_schema(
        operation_id="agent_follow_ups_list",
        description=(
            "The agent's own recruits in one follow-up bucket, on their branch's date, most "
            "urgent first: awaiting_payment (never paid; the longest waiting first), due "
            "(paid-through ends within 14 days), arrears (past paid-through, still active) "
            "and lapsed (non-active), the soonest to lapse first. The counts of every bucket "
            "come with each page. Send the ETag back in If-None-Match to poll: 304 when "
            "nothing changed."
        ),
        parameters=[
            FilterSerializer,
            OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False),
        ],
        responses={200: FollowUpListOutputSerializer, 304: None},
    )
    def get(self, request: Request) -> Response:
        bucket = query_filters(self.FilterSerializer, request.query_params)["bucket"]
        paginator = self.pagination_class()
        page: list[Any] = (
            paginator.paginate_queryset(
                selectors.follow_ups_of_agent(agent=self.agent, bucket=bucket), request, view=self
            )
            or []
        )
        contacts = selectors.contacts_by_id([row.last_contact_id for row in page])
        body = {
            "counts": selectors.follow_up_counts(agent=self.agent),
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": FollowUpOutputSerializer(
                page, many=True, context={"contacts": contacts}
            ).data,
        }
        encoded = json.dumps(body, cls=JSONEncoder, sort_keys=True).encode()
        etag = f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if not_modified(etag, request.headers.get("If-None-Match")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(body, headers=headers)


# Contacts --------------------------------------------------------------------------------


class ContactInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    registration_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    contacted_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    promised_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = StrictCharField(
        max_length=services.follow_ups.NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
    )


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    registration_id = serializers.IntegerField()
    contacted_at = serializers.DateTimeField()
    method = serializers.ChoiceField(choices=ContactMethod.choices)
    outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
    promised_on = serializers.DateField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class ContactResultOutputSerializer(serializers.Serializer):
    client_uuid = StrictCharField(allow_null=True)
    result = serializers.ChoiceField(choices=[outcome.value for outcome in services.Outcome])
    contact = ContactOutputSerializer(allow_null=True)
    error = ErrorSerializer(allow_null=True)


class ContactsApi(AgentApi):
    class InputSerializer(serializers.Serializer):
        # What the client sends, as documented.
        items = serializers.ListField(
            child=ContactInputSerializer(),
            min_length=1,
            max_length=settings.FOLLOW_UP_CONTACTS_MAX_ITEMS,
        )

    class OutputSerializer(serializers.Serializer):
        results = ContactResultOutputSerializer(many=True)

    @extend_schema(
        operation_id="agent_follow_ups_contacts",
        description=(
            "Up to FOLLOW_UP_CONTACTS_MAX_ITEMS (500) contacts with the agent's own "
            "recruits, a result per item in the order sent: created, duplicate (already "
            "received), conflict (the client_uuid belongs to another contact) or invalid "
            "(with the field errors; a registration that is not the agent's is not found). "
            "A contact whose outcome is deceased opens a case for the branch and stops "
            "every reminder to the participant."
        ),
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        raw_items = envelope_items(request.data, limit=settings.FOLLOW_UP_CONTACTS_MAX_ITEMS)
        results, valid = validated_items(
            raw_items,
            ContactInputSerializer(),
            lambda data: services.ContactInput(**data),
            _result_body,
        )
        outcomes = services.contacts_record(agent=self.agent, items=[item for _, item in valid])
        for (index, _item), outcome in zip(valid, outcomes, strict=True):
            results[index] = _result_body(
                str(outcome.client_uuid),
                outcome.outcome.value,
                contact=outcome.contact,
                error=error_of(outcome.error),
            )
        return Response({"results": results})


def _result_body(
    client_uuid: str | None,
    result: str,
    *,
    contact: FollowUpContact | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "client_uuid": client_uuid,
        "result": result,
        "contact": ContactOutputSerializer(contact).data if contact else None,
        "error": error,
    }
