"""The agent app's registration endpoints: one registration, an offline batch, the
agent's own list and detail."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from agents.apis import AgentApi
from core.fields import StrictCharField, StrictRegexField, UniqueListField
from core.filters import query_filters
from core.idempotency import checked_key, idempotent_call, request_hash
from core.messages import nik_error_message, phone_error_message
from core.nik import NikError, parse_nik
from core.pagination import CursorPagination
from core.phone import PhoneError, normalise_phone
from core.schema import ErrorSerializer, error_response
from enrollments import coverage, plausibility, pricing, selectors, services, virtual_accounts
from enrollments.apis.batches import envelope_items, error_of, validated_items
from enrollments.models import (
    PAYMENT_PERIOD_CHOICES,
    Participant,
    Program,
    Registration,
    Sex,
)
from partners import selectors as partner_selectors

# One name for the choice set in the schema (SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES).
ConsentMethod = Registration.ConsentMethod

WARNING_MESSAGES = {
    "nik_birth_date_mismatch": lambda: _(
        "The date of birth in the NIK differs from the declared one."
    ),
    "nik_sex_mismatch": lambda: _("The sex encoded in the NIK differs from the declared one."),
    "age_under_18": lambda: _("The worker is under 18."),
    "age_over_enrolment_limit": lambda: (
        _("The worker is %(age)d or older: check the age limit for new BPU participants.")
        % {"age": plausibility.ENROLMENT_USUAL_MAXIMUM_AGE}
    ),
    "jht_at_payout_age": lambda: (
        _("The worker is %(age)d or older, the age at which JHT is paid out.")
        % {"age": plausibility.JHT_PAYOUT_AGE}
    ),
    "consent_before_capture": lambda: _(
        "The consent was given more than a day before the capture."
    ),
}


# Input ---------------------------------------------------------------------------------


# The checks that need nothing but the request are made here, field by field, so that
# one answer lists every field error of the body; the service repeats them, with the
# agent's branch's dates, and makes those that need the reference data.


def _latest_acceptable_time() -> Any:
    return timezone.now() + datetime.timedelta(seconds=settings.REGISTRATION_CLOCK_SKEW_SECONDS)


def _latest_local_date() -> Any:
    # Today somewhere in Indonesia at the latest: the branch's exact date is the
    # service's check.
    return (timezone.now() + datetime.timedelta(days=1)).date()


class ConsentInputSerializer(serializers.Serializer):
    given = serializers.BooleanField()
    method = serializers.ChoiceField(choices=Registration.ConsentMethod.choices)
    at = serializers.DateTimeField()

    def validate_given(self, given: bool) -> bool:
        if not given:
            raise serializers.ValidationError(_("The worker's consent is required."))
        return given

    def validate_at(self, at: Any) -> Any:
        if at > _latest_acceptable_time():
            raise serializers.ValidationError(_("The consent time is in the future."))
        return at


class LocationInputSerializer(serializers.Serializer):
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    accuracy_m = serializers.IntegerField(
        min_value=0, max_value=100_000, required=False, allow_null=True
    )


class RegistrationInputSerializer(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    nik = StrictCharField(max_length=32)
    full_name = StrictCharField(max_length=150)
    birth_date = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    phone = StrictCharField(max_length=24, required=False, allow_blank=True, default="")
    regency_code = StrictRegexField(
        r"^[0-9]{4}$",
        max_length=4,
        error_messages={"invalid": gettext_lazy("A regency or city code is 4 digits.")},
    )
    address = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    occupation = StrictCharField(max_length=40)
    declared_income = serializers.IntegerField(min_value=1)
    programs = UniqueListField(
        child=serializers.ChoiceField(choices=Program.choices),
        min_length=2,
        max_length=3,
        error_messages={"not_unique": gettext_lazy("List each program once.")},
    )
    payment_period_months = serializers.ChoiceField(choices=PAYMENT_PERIOD_CHOICES)
    consent = ConsentInputSerializer()
    captured_at = serializers.DateTimeField()
    location = LocationInputSerializer(required=False, allow_null=True)
    messages_opt_out = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("The worker wants no SMS or WhatsApp messages from BPJS."),
    )
    reserved_number = StrictRegexField(
        r"^[0-9]{11}$",
        max_length=11,
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "A participant number this agent reserved (POST /api/v1/agent/reservations) and "
            "gave the worker: it must be unused and unexpired, and becomes the participant's."
        ),
        error_messages={"invalid": gettext_lazy("A participant number is 11 digits.")},
    )

    def validate_nik(self, nik: str) -> str:
        try:
            parse_nik(nik, today=_latest_local_date())
        except NikError as error:
            raise serializers.ValidationError(nik_error_message(error)) from None
        return nik

    def validate_birth_date(self, birth_date: Any) -> Any:
        if birth_date > _latest_local_date():
            raise serializers.ValidationError(_("The date of birth is in the future."))
        return birth_date

    def validate_phone(self, phone: str) -> str:
        if phone:
            try:
                normalise_phone(phone)
            except PhoneError:
                raise serializers.ValidationError(phone_error_message()) from None
        return phone

    def validate_captured_at(self, captured_at: Any) -> Any:
        if captured_at > _latest_acceptable_time():
            raise serializers.ValidationError(_("The capture time is in the future."))
        return captured_at

    def validate_programs(self, programs: list[str]) -> list[str]:
        if not set(pricing.MANDATORY) <= set(programs):
            raise serializers.ValidationError(_("JKK and JKM are mandatory."))
        return programs

    def to_input(self) -> services.RegistrationInput:
        return registration_input(self.validated_data)


def registration_input(data: dict[str, Any]) -> services.RegistrationInput:
    location = data.get("location")
    return services.RegistrationInput(
        client_uuid=data["client_uuid"],
        nik=data["nik"],
        full_name=data["full_name"],
        birth_date=data["birth_date"],
        sex=data["sex"],
        phone=data["phone"],
        regency_code=data["regency_code"],
        address=data["address"],
        occupation=data["occupation"],
        declared_income=data["declared_income"],
        programs=frozenset(data["programs"]),
        payment_period_months=int(data["payment_period_months"]),
        consent=services.Consent(**data["consent"]),
        captured_at=data["captured_at"],
        location=services.Location(**location) if location else None,
        messages_opt_out=data.get("messages_opt_out", False),
        reserved_number=data.get("reserved_number"),
    )


# Output --------------------------------------------------------------------------------


class ContributionOutputSerializer(serializers.Serializer):
    jkk = serializers.IntegerField(source="contribution_jkk")
    jkm = serializers.IntegerField(source="contribution_jkm")
    jht = serializers.IntegerField(source="contribution_jht")
    monthly_total = serializers.IntegerField()
    period_months = serializers.IntegerField(source="payment_period_months")
    amount_due = serializers.IntegerField()
    priced_on = serializers.DateField()
    reliefs = serializers.ListField(child=StrictCharField(), source="reliefs_applied")


class WarningOutputSerializer(serializers.Serializer):
    code = StrictCharField()
    message = StrictCharField()


def virtual_accounts_shown(
    context: dict[str, Any], participant_number: str
) -> list[dict[str, str]]:
    """A participant's virtual account at each SNAP channel, for an output serializer:
    the channels are read once per answer and kept in ``context``, which a list's rows
    share."""
    channels = context.get("snap_channels")
    if channels is None:
        channels = context["snap_channels"] = partner_selectors.snap_service_ids()
    return virtual_accounts.shown_numbers(channels, participant_number)


class VirtualAccountOutputSerializer(serializers.Serializer):
    channel = StrictCharField(help_text="The payment channel's code")
    number = StrictCharField(help_text="The virtual-account number to pay into")


class RegistrationOutputSerializer(serializers.Serializer):
    """The registration as the agent's app sees it. The NIK only ever masked."""

    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    status = serializers.ChoiceField(
        source="participant.status", choices=Participant.Status.choices
    )
    paid_through = serializers.DateField(source="participant.paid_through", allow_null=True)
    arrears_months = serializers.SerializerMethodField()
    participant_number = StrictCharField(source="participant.participant_number")
    payment_code = StrictCharField()
    nik_masked = StrictCharField(source="participant.nik_masked")
    full_name = StrictCharField(source="participant.full_name")
    birth_date = serializers.DateField(source="participant.birth_date")
    sex = StrictCharField(source="participant.sex")
    regency_code = StrictCharField(source="participant.regency_id")
    occupation = StrictCharField(source="participant.occupation.code")
    declared_income = serializers.IntegerField()
    programs = serializers.SerializerMethodField()
    contribution = ContributionOutputSerializer(source="*")
    warnings = serializers.SerializerMethodField()
    virtual_accounts = serializers.SerializerMethodField()
    channel = StrictCharField()
    captured_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.IntegerField())
    def get_arrears_months(self, registration: Registration) -> int:
        participant = registration.participant
        return coverage.arrears_months(participant.paid_through, participant.branch.local_today())

    @extend_schema_field(serializers.ListField(child=StrictCharField()))
    def get_programs(self, registration: Registration) -> list[str]:
        return [*pricing.MANDATORY, *([pricing.JHT] if registration.includes_jht else [])]

    @extend_schema_field(VirtualAccountOutputSerializer(many=True))
    def get_virtual_accounts(self, registration: Registration) -> list[dict[str, str]]:
        """The numbers to pay into at each SNAP channel; the channels are read once per
        answer (the context is shared by a list's rows)."""
        return virtual_accounts_shown(self.context, registration.participant.participant_number)

    @extend_schema_field(WarningOutputSerializer(many=True))
    def get_warnings(self, registration: Registration) -> list[dict[str, str]]:
        return [
            {
                "code": code,
                "message": str(WARNING_MESSAGES[code]()) if code in WARNING_MESSAGES else code,
            }
            for code in registration.warnings
        ]


def registration_body(registration: Registration) -> dict[str, Any]:
    return dict(RegistrationOutputSerializer(registration).data)


def _validated_input(data: Any) -> services.RegistrationInput:
    serializer = RegistrationInputSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.to_input()


# Endpoints -----------------------------------------------------------------------------


class RegistrationCreateApi(AgentApi):
    @extend_schema(
        operation_id="agent_registrations_create",
        description=(
            "Register one worker. Send an Idempotency-Key: the same key with the same body "
            "replays the first answer; with another body it is refused (422)."
        ),
        request=RegistrationInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^\\S+$"},
                OpenApiParameter.HEADER,
                required=True,
                description="A UUID the app makes once per registration and reuses on every retry.",
            )
        ],
        responses={
            201: RegistrationOutputSerializer,
            200: OpenApiResponse(
                RegistrationOutputSerializer, description="Already received (same client_uuid)"
            ),
            409: error_response("nik_already_registered, or conflict"),
            422: error_response("idempotency_key_mismatch"),
        },
    )
    def post(self, request: Request) -> Response:
        key = checked_key(request.headers.get("Idempotency-Key"))
        item = _validated_input(request.data)
        agent = self.agent

        def work() -> tuple[int, Any]:
            result = services.registration_register_one(agent=agent, item=item)
            assert result.registration is not None  # noqa: S101
            created = result.outcome == services.Outcome.CREATED
            return (201 if created else 200), registration_body(result.registration)

        answer = idempotent_call(
            scope=f"agent:{agent.pk}:registrations",
            key=key,
            payload_hash=request_hash(request.data),
            work=work,
        )
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return Response(answer.body, status=answer.status, headers=headers)


class SyncResultOutputSerializer(serializers.Serializer):
    client_uuid = StrictCharField(allow_null=True)
    result = serializers.ChoiceField(choices=[outcome.value for outcome in services.Outcome])
    registration = RegistrationOutputSerializer(allow_null=True)
    error = ErrorSerializer(allow_null=True)


class RegistrationSyncApi(AgentApi):
    """Up to 500 registrations captured offline, a result per item in the order sent:
    created, duplicate (already received: its registration is returned), conflict (the
    NIK is already a participant) or invalid (with the field errors)."""

    class InputSerializer(serializers.Serializer):
        # What the client sends, as documented.
        items = serializers.ListField(
            child=RegistrationInputSerializer(),
            min_length=1,
            max_length=settings.REGISTRATION_SYNC_MAX_ITEMS,
        )

    class OutputSerializer(serializers.Serializer):
        results = SyncResultOutputSerializer(many=True)

    @extend_schema(
        operation_id="agent_registrations_sync",
        description=(
            "Up to REGISTRATION_SYNC_MAX_ITEMS (500) registrations captured offline, a result "
            "per item in the order sent: created, duplicate (already received: its "
            "registration is returned), conflict (the NIK is already a participant) or "
            "invalid (with the field errors). An item that is not a valid registration is "
            "answered invalid in its result; the others are still registered."
        ),
        request=InputSerializer,
        responses={200: OutputSerializer},
    )
    def post(self, request: Request) -> Response:
        raw_items = envelope_items(request.data, limit=settings.REGISTRATION_SYNC_MAX_ITEMS)
        results, valid = validated_items(
            raw_items, RegistrationInputSerializer(), registration_input, _sync_result_body
        )
        outcomes = services.registrations_register(
            agent=self.agent, items=[item for _, item in valid], channel=Registration.Channel.SYNC
        )
        bodies = iter(
            RegistrationOutputSerializer(
                [outcome.registration for outcome in outcomes if outcome.registration], many=True
            ).data
        )
        for (index, _item), outcome in zip(valid, outcomes, strict=True):
            results[index] = _sync_result_body(
                str(outcome.client_uuid),
                outcome.outcome.value,
                registration=next(bodies) if outcome.registration else None,
                error=error_of(outcome.error),
            )
        return Response({"results": results})


def _sync_result_body(
    client_uuid: str | None,
    result: str,
    *,
    registration: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "client_uuid": client_uuid,
        "result": result,
        "registration": registration,
        "error": error,
    }


class RegistrationListPagination(CursorPagination):
    ordering = "-id"


class RegistrationListApi(AgentApi):
    pagination_class = RegistrationListPagination

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Participant.Status.choices, required=False)
        updated_since = serializers.DateTimeField(required=False)

    @extend_schema(
        operation_id="agent_registrations_list",
        description=("The agent's own registrations, newest first; updated_since for delta sync."),
        parameters=[FilterSerializer],
        responses=RegistrationOutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request.query_params)
        registrations = selectors.registrations_of_agent(agent=self.agent, **filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(registrations, request, view=self)
        return paginator.get_paginated_response(RegistrationOutputSerializer(page, many=True).data)


class RegistrationDetailApi(AgentApi):
    @extend_schema(
        operation_id="agent_registrations_retrieve",
        description="One of the agent's own registrations.",
        responses=RegistrationOutputSerializer,
    )
    def get(self, request: Request, registration_id: int) -> Response:
        registration = selectors.registration_of_agent(
            agent=self.agent, registration_id=registration_id
        )
        return Response(registration_body(registration))


class RegistrationListCreateApi(RegistrationListApi, RegistrationCreateApi):
    """One path, two operations (GET lists, POST registers): each stays its own class."""
