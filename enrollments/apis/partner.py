"""Payment channels' endpoints: a contribution paid, and a payment taken back. Signed
requests only."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.fields import StrictCharField, StrictSlugField
from core.schema import error_response
from enrollments import services
from enrollments.models import (
    PAYMENT_PERIOD_CHOICES,
    Participant,
)
from partners.apis import SignedPartnerApi

# Far above any contribution (12 months of the highest income band is under Rp1 billion),
# far below PostgreSQL's bigint: a larger amount is a channel's error, refused with 400.
MAX_PAYMENT_AMOUNT = 10**12


class PaymentLineInputSerializer(serializers.Serializer):
    payment_code = StrictCharField(max_length=32)
    amount = serializers.IntegerField(min_value=1, max_value=MAX_PAYMENT_AMOUNT)
    months = serializers.ChoiceField(choices=PAYMENT_PERIOD_CHOICES)


# The output serializers render the services' receipts (PaymentReceipt, LineReceipt,
# ReversalReceipt): what a payment or reversal did, as it was when it was received.


class PaymentLineOutputSerializer(serializers.Serializer):
    payment_code = StrictCharField()
    participant_number = StrictCharField()
    status = serializers.ChoiceField(choices=Participant.Status.choices)
    paid_through = serializers.DateField()
    covered_from = serializers.DateField()
    covered_through = serializers.DateField()


class PaymentCreateApi(SignedPartnerApi):
    class InputSerializer(serializers.Serializer):
        channel_ref = StrictCharField(max_length=100)
        payment_code = StrictCharField(max_length=32, required=False)
        amount = serializers.IntegerField(min_value=1, max_value=MAX_PAYMENT_AMOUNT, required=False)
        months = serializers.ChoiceField(choices=PAYMENT_PERIOD_CHOICES, required=False)
        sponsor = StrictSlugField(max_length=40, required=False)
        lines = serializers.ListField(
            child=PaymentLineInputSerializer(), required=False, min_length=1, max_length=1000
        )
        paid_at = serializers.DateTimeField()

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            single = {"payment_code", "amount", "months"} & set(data)
            if "sponsor" in data or "lines" in data:
                if single or not data.get("lines") or "sponsor" not in data:
                    raise serializers.ValidationError(
                        _("A sponsor payment has sponsor and lines, and no payment_code.")
                    )
            elif single != {"payment_code", "amount", "months"}:
                raise serializers.ValidationError(_("Send payment_code, amount and months."))
            return data

    class OutputSerializer(serializers.Serializer):
        channel_ref = StrictCharField()
        participant_number = StrictCharField(source="line.participant_number")
        status = serializers.ChoiceField(source="line.status", choices=Participant.Status.choices)
        paid_through = serializers.DateField(source="line.paid_through")
        covered_from = serializers.DateField(source="line.covered_from")
        covered_through = serializers.DateField(source="line.covered_through")

    class SponsorOutputSerializer(serializers.Serializer):
        channel_ref = StrictCharField()
        sponsor = StrictCharField()
        amount = serializers.IntegerField()
        lines = PaymentLineOutputSerializer(many=True)

    ANSWER = PolymorphicProxySerializer(
        component_name="PaymentCreateAnswer",
        serializers=[OutputSerializer, SponsorOutputSerializer],
        resource_type_field_name=None,
    )

    @extend_schema(
        operation_id="partner_payments_create",
        description=(
            "A contribution paid at a channel against a payment code; or, with sponsor and "
            "lines, a sponsor paying for many participants at once. Signed with "
            "X-Signature. Idempotent on channel_ref: the same body again gets the same "
            "answer (200); another body, 409 channel_ref_conflict. A refused payment is "
            "stored nowhere but the refused-requests log."
        ),
        request=InputSerializer,
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
            201: ANSWER,
            200: OpenApiResponse(ANSWER, description="The same channel_ref and body again"),
            409: error_response("channel_ref_conflict"),
            422: error_response("amount_mismatch, unknown_payment_code or not_sponsored"),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "lines" in data:
            lines = [
                services.PaymentLineInput(line["payment_code"], line["amount"], int(line["months"]))
                for line in data["lines"]
            ]
        else:
            lines = [
                services.PaymentLineInput(data["payment_code"], data["amount"], int(data["months"]))
            ]
        receipt = services.payment_receive(
            channel=self.api_key.partner,
            channel_ref=data["channel_ref"],
            lines=lines,
            paid_at=data["paid_at"],
            request_hash=hashlib.sha256(self.raw_body).hexdigest(),
            sponsor_code=data.get("sponsor"),
        )
        output = self.OutputSerializer if receipt.sponsor is None else self.SponsorOutputSerializer
        return Response(output(receipt).data, status=201 if receipt.created else 200)


class ReversedParticipantSerializer(serializers.Serializer):
    participant_number = StrictCharField()
    status = serializers.ChoiceField(choices=Participant.Status.choices)
    paid_through = serializers.DateField(allow_null=True)


class PaymentReversalApi(SignedPartnerApi):
    """The channel takes back one of its own payments (refund, chargeback). Idempotent."""

    class InputSerializer(serializers.Serializer):
        reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        channel_ref = StrictCharField()
        reversed = serializers.SerializerMethodField()
        participants = ReversedParticipantSerializer(many=True)

        @extend_schema_field(serializers.BooleanField())
        def get_reversed(self, receipt: services.ReversalReceipt) -> bool:
            return True

    @extend_schema(
        operation_id="partner_payments_reversal",
        description=(
            "The channel takes back one of its own payments (refund, chargeback). "
            "Idempotent: a payment already reversed answers 200 with the same body."
        ),
        request=InputSerializer,
        parameters=[OpenApiParameter("X-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={
            201: OpenApiResponse(OutputSerializer, description="Reversed"),
            200: OpenApiResponse(OutputSerializer, description="Already reversed"),
        },
    )
    def post(self, request: Request, channel_ref: str) -> Response:
        serializer = self.InputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        receipt = services.payment_reverse(
            channel=self.api_key.partner,
            channel_ref=channel_ref,
            reason=serializer.validated_data["reason"],
        )
        return Response(self.OutputSerializer(receipt).data, status=201 if receipt.created else 200)
