from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import renderers, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.exceptions import PermissionDeniedError
from core.fields import StrictCharField, StrictRegexField
from core.schema import ErrorSerializer, error_response
from notifications import services as notification_services
from notifications.models import MessageStatus
from partners import selectors, services
from partners.authentication import ApiKeyAuthentication, api_key_of
from partners.errors import NotMessageGatewayError, NotPaymentChannelError
from partners.models import PartnerApiKey, PartnerKind, PermitDecision
from partners.permissions import IsPartner, PartnerKeyThrottle
from partners.serializers import PermitCheckOutputSerializer
from partners.signatures import signature_verify


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "partners.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`",
        }


class PartnerApi(APIView):
    """Base of every partner endpoint: an API key, throttled per key."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [IsPartner]
    throttle_classes = [PartnerKeyThrottle]

    @property
    def api_key(self) -> PartnerApiKey:
        key = api_key_of(self.request)
        assert key is not None  # IsPartner has run  # noqa: S101
        return key


class SignedPartnerApi(PartnerApi):
    """Base of the signed webhooks: an API key of a partner of ``partner_kind`` (a
    payment channel unless a subclass says otherwise) **and** an ``X-Signature`` over
    the raw body with one of its live signing secrets. Every refusal is recorded in the
    refused-requests log, and only there."""

    partner_kind: PartnerKind = PartnerKind.PAYMENT_CHANNEL
    wrong_partner_error: type[PermissionDeniedError] = NotPaymentChannelError

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The raw bytes, before DRF's parser consumes the stream: the signature covers
        # exactly what was sent.
        self.raw_body: bytes = request._request.body
        super().initial(request, *args, **kwargs)
        partner = self.api_key.partner
        if partner.kind != self.partner_kind:
            raise self.wrong_partner_error()
        signature_verify(
            header=request.headers.get("X-Signature"),
            body=self.raw_body,
            secrets=selectors.signing_secrets_live(partner=partner),
            now=time.time(),
            tolerance=settings.SIGNATURE_TOLERANCE_SECONDS,
        )

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        key = api_key_of(self.request)
        header = self.request.headers.get("Authorization", "")
        prefix = header.partition(" ")[2].partition(".")[0] if header.startswith("Api-Key") else ""
        services.refused_request_record(
            partner=key.partner if key else None,
            key_prefix=key.prefix if key else prefix,
            method=self.request.method or "",
            path=self.request.path,
            status_code=response.status_code,
            code=str((response.data or {}).get("code", ""))
            if isinstance(response.data, dict)
            else "",
            client_ip=BaseThrottle().get_ident(self.request),
            body=getattr(self, "raw_body", b""),
        )
        return response


class PermitCheckCreateApi(PartnerApi):
    class InputSerializer(serializers.Serializer):
        nib = StrictRegexField(
            r"^[0-9]{13}$",
            help_text="13 digits",
            error_messages={"invalid": gettext_lazy("A NIB is 13 digits.")},
        )
        permit_type = StrictCharField(max_length=100)
        application_ref = StrictCharField(max_length=100)

    @extend_schema(
        operation_id="partner_permit_checks_create",
        description=(
            "Check a company before issuing a permit. Repeating an application_ref returns the "
            "first check (200)."
        ),
        request=InputSerializer,
        responses={
            201: PermitCheckOutputSerializer,
            200: OpenApiResponse(
                PermitCheckOutputSerializer, description="The first check for this application_ref"
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="conflict: the application_ref was used for another NIB",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.permit_check_make(
            api_key=self.api_key,
            client_ip=BaseThrottle().get_ident(request),
            nib=data["nib"],
            permit_type=data["permit_type"],
            application_ref=data["application_ref"],
            request_body=data,
            base_url=settings.PUBLIC_BASE_URL or request.build_absolute_uri("/"),
        )
        # As stored: PermitCheckOutputSerializer rendered it when the check was made, and
        # a repeat gets the first check's answer.
        answer = selectors.permit_check_answer(result.check)
        return Response(answer, status=201 if result.created else 200)


class PermitCheckDetailApi(PartnerApi):
    @extend_schema(
        operation_id="partner_permit_checks_retrieve",
        description="One of the office's own checks; another office's reference is not found.",
        responses=PermitCheckOutputSerializer,
    )
    def get(self, request: Request, reference: str) -> Response:
        check = selectors.permit_check_of_partner(partner=self.api_key.partner, reference=reference)
        return Response(selectors.permit_check_answer(check))


class VerifyPageRenderer(renderers.BaseRenderer):
    """The answer as a small page, for a person who scanned the permit's QR code with
    a phone: browsers ask for text/html, API clients get JSON."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"
    # The API's policy forbids every style; this page has its own, inline.
    policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Security-Policy"] = self.policy
        found = bool(data) and data.get("valid") is True
        context: dict[str, Any] = {"found": found}
        if found:
            context |= {
                "decision": data["decision"],
                "decision_label": PermitDecision(data["decision"]).label,
                "reference": data["reference"],
                "company_name": data["company_name"],
                "checked_at": parse_datetime(data["checked_at"]),
                "valid_until": parse_datetime(data["valid_until"]),
            }
        return render_to_string("partners/verify.html", context).encode()


class VerifyApi(APIView):
    # Public: JSON for API clients; a page in the reader's language for a browser
    # (Accept: text/html).
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [renderers.JSONRenderer, VerifyPageRenderer]

    class OutputSerializer(serializers.Serializer):
        valid = serializers.BooleanField()
        reference = StrictCharField()
        decision = serializers.ChoiceField(choices=PermitDecision.choices)
        company_name = StrictCharField(allow_null=True)
        checked_at = serializers.DateTimeField()
        valid_until = serializers.DateTimeField()

    @extend_schema(
        operation_id="verify_retrieve",
        description=(
            "Public: is a permit-check reference printed on a permit genuine? Needs the signature"
            " from the verification URL; anything else is not found."
        ),
        parameters=[OpenApiParameter("sig", str, OpenApiParameter.QUERY, required=True)],
        responses=OutputSerializer,
    )
    def get(self, request: Request, reference: str) -> Response:
        check = selectors.permit_check_verified(
            reference=reference, sig=request.query_params.get("sig", "")
        )
        return Response(
            self.OutputSerializer(
                {
                    "valid": True,
                    "reference": check.reference,
                    "decision": check.decision,
                    "company_name": check.company.name if check.company else None,
                    "checked_at": check.checked_at,
                    "valid_until": check.valid_until,
                }
            ).data
        )


class MessageReceiptInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["receipt"])
    message_id = serializers.UUIDField(help_text="The id the message was sent with.")
    status = serializers.ChoiceField(choices=notification_services.ReceiptStatus.ALL)
    error = StrictCharField(max_length=280, required=False, allow_blank=True, default="")


class MessageReplyInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["reply"])
    # An Indonesian mobile number as gateways send it (core/phone.py's shape, without
    # separators), so the schema's pattern is the server's rule.
    sender = StrictRegexField(
        r"^(?:\+62|62|0)8[1-9][0-9]{6,10}$",
        help_text="The worker's phone, e.g. +6281234567890.",
        error_messages={
            "invalid": gettext_lazy("Enter an Indonesian mobile number, e.g. 081234567890.")
        },
    )
    text = StrictCharField(max_length=1000, allow_blank=True, trim_whitespace=False)

    def get_fields(self) -> dict[str, Any]:
        # "from" is the contract's name, and a keyword in Python.
        fields = super().get_fields()
        return {"type": fields["type"], "from": fields["sender"], "text": fields["text"]}


class MessageReceiptOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["receipt"])
    message_id = serializers.UUIDField()
    status = serializers.ChoiceField(
        choices=MessageStatus.choices, help_text="The message's status now."
    )
    changed = serializers.BooleanField(help_text="False for a receipt already applied.")


class MessageReplyOutputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["reply"])
    opted_out = serializers.BooleanField(help_text="The reply was BERHENTI or STOP.")


class MessageFeedbackApi(SignedPartnerApi):
    """Delivery receipts and workers' replies from the message gateway. Signed like
    payments; the gateway is a partner of its own kind (sms_gateway) with its key and
    signing secret, so a payment channel's credentials cannot touch messages and the
    gateway's cannot report payments."""

    partner_kind = PartnerKind.SMS_GATEWAY
    wrong_partner_error = NotMessageGatewayError
    INPUTS: dict[str, type[serializers.Serializer]] = {
        "receipt": MessageReceiptInputSerializer,
        "reply": MessageReplyInputSerializer,
    }

    @extend_schema(
        operation_id="partner_notifications_receipts_create",
        description=(
            "The message gateway reports what became of a message (type receipt: delivered "
            "or failed, by the id it was sent with), or passes on a worker's reply (type "
            "reply: BERHENTI or STOP, any case, stops every message to that phone). Signed "
            "with X-Signature like payments. A receipt repeated changes nothing (changed "
            "false); a receipt for an id never sent is 404 unknown_message."
        ),
        request=PolymorphicProxySerializer(
            component_name="MessageFeedback",
            serializers={
                "receipt": MessageReceiptInputSerializer,
                "reply": MessageReplyInputSerializer,
            },
            resource_type_field_name="type",
        ),
        parameters=[
            OpenApiParameter(
                "X-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description='t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">',
            )
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="MessageFeedbackAnswer",
                serializers={
                    "receipt": MessageReceiptOutputSerializer,
                    "reply": MessageReplyOutputSerializer,
                },
                resource_type_field_name="type",
            ),
            404: error_response("unknown_message: no message was sent with this id"),
        },
    )
    def post(self, request: Request) -> Response:
        kind = request.data.get("type") if isinstance(request.data, dict) else None
        # Any JSON value can arrive here: only a string can name an input (a list or an
        # object cannot even be looked up).
        if not isinstance(kind, str) or kind not in self.INPUTS:
            raise serializers.ValidationError(
                {"type": [gettext_lazy("Send type receipt or reply.")]}
            )
        serializer = self.INPUTS[kind](data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if kind == "receipt":
            result = notification_services.delivery_receipt_record(
                message_id=data["message_id"], status=data["status"], error=data["error"]
            )
            return Response(
                MessageReceiptOutputSerializer(
                    {
                        "type": "receipt",
                        "message_id": result.message.pk,
                        "status": result.message.status,
                        "changed": result.changed,
                    }
                ).data
            )
        opt_out = notification_services.reply_record(phone=data["from"], text=data["text"])
        return Response(
            MessageReplyOutputSerializer({"type": "reply", "opted_out": opt_out is not None}).data
        )
