"""SNAP virtual-account services for banks (DESIGN §9): inquiry (bill presentment),
payment and payment status under ``/snap/v1.0/transfer-va/``. The token and the checks
every request passes are partners' (partners/snap_apis.py); a payment ends in the one
payment path (enrollments.services.snap)."""

from __future__ import annotations

import datetime
from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.fields import StrictCharField, StrictRegexField
from enrollments.services.snap import Bill, snap_bill, snap_payment_receive, snap_payment_status
from partners import snap
from partners.errors import SnapRefusal
from partners.services.snap import JAKARTA
from partners.snap_apis import (
    TIMESTAMP_HELP,
    TRANSACTION_HEADERS,
    AmountSerializer,
    SnapAnswerSerializer,
    SnapApi,
    snap_refusals,
)

REASON_SUCCESS = {"english": "Success", "indonesia": "Sukses"}
REASON_REVERSED = {"english": "Reversed", "indonesia": "Dibatalkan"}


def _account(data: dict[str, Any]) -> dict[str, str]:
    """The virtual account a request names, as the services take it."""
    return {
        "partner_service_id": data["partnerServiceId"],
        "customer_no": data["customerNo"],
        "virtual_account_no": data["virtualAccountNo"],
    }


def _echoed(data: dict[str, Any]) -> dict[str, str]:
    """The virtual account a request names, as the answer gives it back."""
    return {name: data[name] for name in ("partnerServiceId", "customerNo", "virtualAccountNo")}


def _amount(rupiah: int) -> dict[str, str]:
    return {"value": snap.amount_text(rupiah), "currency": "IDR"}


class VirtualAccountSerializer(serializers.Serializer):
    # Spaces are part of these values (the service id is left-padded): never trimmed.
    partnerServiceId = StrictRegexField(
        r"^[ 0-9]{8}$", trim_whitespace=False, help_text="8 characters, space-padded"
    )
    customerNo = StrictRegexField(r"^[ ]{0,9}[0-9]{1,20}$", trim_whitespace=False)
    virtualAccountNo = StrictRegexField(r"^[ 0-9]{1,28}$", trim_whitespace=False)


class ReasonSerializer(serializers.Serializer):
    english = StrictCharField()
    indonesia = StrictCharField()


class BillDetailSerializer(serializers.Serializer):
    billCode = StrictCharField()
    billName = StrictCharField()
    billDescription = ReasonSerializer()
    billAmount = AmountSerializer()


class InquiryDataSerializer(VirtualAccountSerializer):
    virtualAccountName = StrictCharField()
    inquiryRequestId = StrictCharField()
    inquiryStatus = serializers.ChoiceField(choices=["00"])
    inquiryReason = ReasonSerializer()
    totalAmount = AmountSerializer()
    billDetails = BillDetailSerializer(many=True)


class PaymentInfoSerializer(serializers.Serializer):
    participantNumber = StrictCharField()
    months = serializers.IntegerField()
    paidThrough = serializers.DateField(help_text="The participant's coverage now ends on")


class PaymentDataSerializer(VirtualAccountSerializer):
    virtualAccountName = StrictCharField()
    paymentRequestId = StrictCharField()
    paidAmount = AmountSerializer()
    trxDateTime = StrictCharField()
    paymentFlagStatus = serializers.ChoiceField(
        choices=["00", "01"], help_text="00 paid, 01 reversed since"
    )
    paymentFlagReason = ReasonSerializer()
    additionalInfo = PaymentInfoSerializer()


class StatusDataSerializer(VirtualAccountSerializer):
    paymentRequestId = StrictCharField()
    paidAmount = AmountSerializer()
    trxDateTime = StrictCharField()
    paymentFlagStatus = serializers.ChoiceField(
        choices=["00", "01"], help_text="00 paid, 01 reversed since"
    )
    paymentFlagReason = ReasonSerializer()


class StatusOutputSerializer(SnapAnswerSerializer):
    virtualAccountData = StatusDataSerializer()


def _rupiah_of(value: dict[str, Any]) -> int:
    amount = snap.amount_parse(value["value"])
    if amount is None or value["currency"] != "IDR":
        raise SnapRefusal(snap.INVALID_AMOUNT)
    return amount


class InquiryApi(SnapApi):
    """``POST /snap/v1.0/transfer-va/inquiry``."""

    service_code = snap.INQUIRY_SERVICE

    class InputSerializer(VirtualAccountSerializer):
        inquiryRequestId = StrictCharField(max_length=128)
        trxDateInit = StrictCharField(required=False, max_length=25)
        channelCode = serializers.IntegerField(required=False, min_value=0, max_value=9999)
        language = StrictCharField(required=False, max_length=2)

    class OutputSerializer(SnapAnswerSerializer):
        virtualAccountData = InquiryDataSerializer()

    @extend_schema(
        operation_id="snap_transfer_va_inquiry",
        tags=["snap"],
        auth=[],
        description=(
            "The bill of a virtual account: the participant's name and what 1, 3, 6 and 12 "
            "months cost (`billDetails`); `totalAmount` is the period the participant chose. "
            "A payment must equal one `billAmount`. 4042412: no such virtual account (or a "
            "reserved number not registered yet); 4042414: paid a year ahead."
        ),
        parameters=TRANSACTION_HEADERS,
        request=InputSerializer,
        responses={
            200: OpenApiResponse(OutputSerializer, description="2002400"),
            404: OpenApiResponse(SnapAnswerSerializer, description="4042412, 4042414"),
            **snap_refusals(snap.INQUIRY_SERVICE),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated(self.InputSerializer)
        bill = snap_bill(
            client=self.client(),
            **_account(data),
        )
        return self.answer({"virtualAccountData": _bill_data(bill, data["inquiryRequestId"])})


def _bill_data(bill: Bill, inquiry_request_id: str) -> dict[str, Any]:
    client_fields = {
        "partnerServiceId": bill.virtual_account_no[:8],
        "customerNo": bill.customer_no,
        "virtualAccountNo": bill.virtual_account_no,
    }
    return {
        "inquiryStatus": "00",
        "inquiryReason": REASON_SUCCESS,
        **client_fields,
        "virtualAccountName": bill.name,
        "inquiryRequestId": inquiry_request_id,
        "totalAmount": _amount(bill.total),
        "billDetails": [
            {
                "billCode": f"{months:02d}",
                "billName": f"Iuran {months} bulan",
                "billDescription": {
                    "english": f"Contribution for {months} month{'s' if months > 1 else ''}",
                    "indonesia": f"Iuran BPJS Ketenagakerjaan {months} bulan",
                },
                "billAmount": _amount(amount),
            }
            for months, amount in bill.options
        ],
    }


class PaymentApi(SnapApi):
    """``POST /snap/v1.0/transfer-va/payment``."""

    service_code = snap.PAYMENT_SERVICE

    class InputSerializer(VirtualAccountSerializer):
        paymentRequestId = StrictCharField(max_length=100)
        paidAmount = AmountSerializer()
        virtualAccountName = StrictCharField(required=False, max_length=255)
        trxDateTime = StrictCharField(required=False, max_length=25, help_text=TIMESTAMP_HELP)
        channelCode = serializers.IntegerField(required=False, min_value=0, max_value=9999)
        referenceNo = StrictCharField(required=False, max_length=64)
        hashedSourceAccountNo = StrictCharField(required=False, max_length=64)
        flagAdvise = serializers.ChoiceField(required=False, choices=["Y", "N"])

    class OutputSerializer(SnapAnswerSerializer):
        virtualAccountData = PaymentDataSerializer()

    @extend_schema(
        operation_id="snap_transfer_va_payment",
        tags=["snap"],
        auth=[],
        description=(
            "A payment of one of the amounts the inquiry presented. Idempotent on "
            "`paymentRequestId`: the same body again answers as the first time; another "
            "body with it is 4042518. 4042413: not a presented amount; 4042412: no such "
            "virtual account; 4042414: paid a year ahead."
        ),
        parameters=TRANSACTION_HEADERS,
        request=InputSerializer,
        responses={
            200: OpenApiResponse(OutputSerializer, description="2002500"),
            404: OpenApiResponse(
                SnapAnswerSerializer, description="4042412, 4042413, 4042414, 4042518"
            ),
            **snap_refusals(snap.PAYMENT_SERVICE),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated(self.InputSerializer)
        paid_at = None
        if "trxDateTime" in data:
            paid_at = snap.timestamp_parse(data["trxDateTime"])
            if paid_at is None:
                raise SnapRefusal(snap.INVALID_FIELD_FORMAT, "trxDateTime")
        paid = snap_payment_receive(
            client=self.client(),
            **_account(data),
            payment_request_id=data["paymentRequestId"],
            amount=_rupiah_of(data["paidAmount"]),
            paid_at=paid_at,
            body=self.raw_body,
        )
        line = paid.receipt.line
        return self.answer(
            {
                "virtualAccountData": {
                    **_echoed(data),
                    "virtualAccountName": paid.bill.name,
                    "paymentRequestId": data["paymentRequestId"],
                    "paidAmount": _amount(paid.receipt.amount),
                    "trxDateTime": _snap_time(paid.paid_at),
                    "paymentFlagStatus": "00",
                    "paymentFlagReason": REASON_SUCCESS,
                    "additionalInfo": {
                        "participantNumber": line.participant_number,
                        "months": paid.months,
                        "paidThrough": line.paid_through.isoformat(),
                    },
                }
            }
        )


def _snap_time(moment: datetime.datetime) -> str:
    return moment.astimezone(JAKARTA).isoformat(timespec="seconds")


class StatusApi(SnapApi):
    """``POST /snap/v1.0/transfer-va/status``."""

    service_code = snap.STATUS_SERVICE

    class InputSerializer(VirtualAccountSerializer):
        paymentRequestId = StrictCharField(max_length=100)
        inquiryRequestId = StrictCharField(required=False, max_length=128)

    @extend_schema(
        operation_id="snap_transfer_va_status",
        tags=["snap"],
        auth=[],
        description=(
            "Whether a payment (by `paymentRequestId`) was recorded for this virtual "
            "account: `paymentFlagStatus` 00 paid, 01 reversed since; 4042601 when it was not."
        ),
        parameters=TRANSACTION_HEADERS,
        request=InputSerializer,
        responses={
            200: OpenApiResponse(StatusOutputSerializer, description="2002600"),
            404: OpenApiResponse(SnapAnswerSerializer, description="4042601"),
            **snap_refusals(snap.STATUS_SERVICE),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.validated(self.InputSerializer)
        found = snap_payment_status(
            client=self.client(),
            **_account(data),
            payment_request_id=data["paymentRequestId"],
        )
        return self.answer(
            {
                "virtualAccountData": {
                    **_echoed(data),
                    "paymentRequestId": data["paymentRequestId"],
                    "paidAmount": _amount(found.payment.amount),
                    "trxDateTime": _snap_time(found.payment.paid_at),
                    "paymentFlagStatus": "01" if found.reversed else "00",
                    "paymentFlagReason": REASON_REVERSED if found.reversed else REASON_SUCCESS,
                }
            }
        )
