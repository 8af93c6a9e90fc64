"""The agent's follow-up work list (their recruits who need a visit) and the contacts
they record, online or from the offline queue."""

from __future__ import annotations

import datetime
import hashlib
import json
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from agents.apis import AgentApi
from core.etags import not_modified
from core.fields import StrictCharField
from core.filters import query_filters
from core.nik import mask_nik
from core.pagination import CursorPagination
from core.schema import ErrorSerializer
from enrollments import coverage, selectors, services, virtual_accounts
from enrollments.apis.agent import VirtualAccountOutputSerializer
from enrollments.apis.batches import envelope_items, error_of, validated_items
from enrollments.models import (
    PAYMENT_PERIODS,
    ContactMethod,
    ContactOutcome,
    FollowUpContact,
    Participant,
)
from partners import selectors as partner_selectors

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
    virtual_accounts = VirtualAccountOutputSerializer(many=True)


class FollowUpOutputSerializer(serializers.Serializer):
    """One recruit on the work list. The phone is the one the worker gave this agent,
    shown to them in full; the NIK only masked."""

    # The documented shape of follow_up_rows(): the list is rendered by those plain
    # functions (a serializer per row cost most of the request), and tests check that
    # this serializer renders their rows unchanged.
    registration_id = serializers.IntegerField()
    participant_number = StrictCharField()
    full_name = StrictCharField()
    nik_masked = StrictCharField()
    phone = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=Participant.Status.choices)
    paid_through = serializers.DateField(allow_null=True)
    arrears_months = serializers.IntegerField(read_only=True)
    amounts = PeriodAmountOutputSerializer(many=True, read_only=True)
    how_to_pay = HowToPayOutputSerializer(read_only=True)
    last_contact = serializers.SerializerMethodField()

    # A method field, as it always was, so that the published schema keeps its exact form.
    @extend_schema_field(LastContactOutputSerializer(allow_null=True))
    def get_last_contact(self, row: dict[str, Any]) -> dict[str, Any] | None:
        contact: dict[str, Any] | None = row["last_contact"]
        return contact


_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()


def follow_up_rows(
    rows: list[dict[str, Any]],
    contacts: Mapping[int, Mapping[str, Any]],
    channels: list[tuple[str, str]],
) -> list[dict[str, Any]]:
    """The page's rows (selectors.follow_ups_of_agent) as FollowUpOutputSerializer
    renders them, with the last contacts of ``contacts`` (selectors.contact_rows_by_id)
    and the virtual accounts at ``channels`` (partners.selectors.snap_service_ids)."""
    now = timezone.now()
    todays: dict[str, datetime.date] = {}
    rendered = []
    for row in rows:
        zone = row["participant__branch__time_zone"]
        today = todays.get(zone)
        if today is None:
            today = todays[zone] = now.astimezone(zoneinfo.ZoneInfo(zone)).date()
        paid_through = row["participant__paid_through"]
        monthly_total = row["monthly_total"]
        contact = contacts.get(row["last_contact_id"])
        rendered.append(
            {
                "registration_id": row["id"],
                "participant_number": row["participant__participant_number"],
                "full_name": row["participant__full_name"],
                "nik_masked": mask_nik(row["participant__nik_last4"]),
                "phone": row["participant__phone"],
                "status": row["participant__status"],
                "paid_through": _DATE.to_representation(paid_through),
                "arrears_months": coverage.arrears_months(paid_through, today),
                "amounts": [
                    {"months": months, "amount": monthly_total * months}
                    for months in PAYMENT_PERIODS
                ],
                "how_to_pay": {
                    "payment_code": row["payment_code"],
                    "virtual_accounts": virtual_accounts.shown_numbers(
                        channels, row["participant__participant_number"]
                    ),
                },
                "last_contact": _last_contact(contact) if contact else None,
            }
        )
    return rendered


def _last_contact(contact: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "contacted_at": _DATETIME.to_representation(contact["contacted_at"]),
        "method": contact["method"],
        "outcome": contact["outcome"],
        "promised_on": _DATE.to_representation(contact["promised_on"]),
    }


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
        contacts = selectors.contact_rows_by_id([row["last_contact_id"] for row in page])
        body = {
            "counts": selectors.follow_up_counts(agent=self.agent),
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": follow_up_rows(page, contacts, partner_selectors.snap_service_ids()),
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
