"""A bank integrating through SNAP, as the tests drive it: an RSA key pair, a channel
with its SNAP credentials and client secret, and requests signed exactly as the standard
says (partners.snap's bank-side helpers)."""

from __future__ import annotations

import itertools
import json
from functools import cache
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from partners import services as partner_services
from partners import snap
from partners.models import Partner, PartnerKind
from partners.services.snap import snap_client_create

SERVICE_ID = "88899"
CLIENT_KEY = "bank-test-client"
TOKEN_PATH = "/snap/v1.0/access-token/b2b"
INQUIRY = "/snap/v1.0/transfer-va/inquiry"
PAYMENT = "/snap/v1.0/transfer-va/payment"
STATUS = "/snap/v1.0/transfer-va/status"

_external_ids = itertools.count(1_000_000)


@cache
def key_pair() -> tuple[str, str]:
    """(private PEM, public PEM), made once per test run: 2048-bit keys take a moment."""
    return snap.key_pair_new()


class SnapBank:
    def __init__(
        self, code: str = "BANK-SNAP", service_id: str = SERVICE_ID, client_key: str = CLIENT_KEY
    ) -> None:
        self.partner = Partner.objects.create(
            code=code, name="Bank SNAP", kind=PartnerKind.PAYMENT_CHANNEL
        )
        self.private_pem, public_pem = key_pair()
        self.client = snap_client_create(
            partner=self.partner,
            partner_service_id=service_id,
            client_key=client_key,
            public_key_pem=public_pem,
        )
        _row, self.secret = partner_services.signing_secret_create(partner=self.partner)
        self.api = APIClient()
        self._token: str | None = None

    @property
    def service_id(self) -> str:
        return self.client.partner_service_id

    def virtual_account(self, participant_number: str) -> str:
        return self.service_id + participant_number

    def token_response(
        self,
        *,
        timestamp: str | None = None,
        client_key: str | None = None,
        signature: str | None = None,
        body: Any = None,
    ) -> Any:
        timestamp = timestamp or snap.timestamp_now(timezone.now())
        headers = snap.token_request_headers(
            client_key=self.client.client_key, private_pem=self.private_pem, timestamp=timestamp
        )
        if client_key is not None:
            headers["X-CLIENT-KEY"] = client_key
        if signature is not None:
            headers["X-SIGNATURE"] = signature
        return self.api.post(
            TOKEN_PATH,
            json.dumps(body if body is not None else {"grantType": "client_credentials"}),
            content_type="application/json",
            headers={k: v for k, v in headers.items() if k != "Content-Type"},
        )

    def token(self) -> str:
        if self._token is None:
            response = self.token_response()
            assert response.status_code == 200, response.json()
            self._token = response.json()["accessToken"]
        return self._token

    def call(self, path: str, body: Any, *, raw: bytes | None = None, **changes: Any) -> Any:
        """A signed transaction request; ``changes`` override a header's value
        (``external_id=``, ``timestamp=``, ``secret=``, ``token=``, ``partner_id=``) or,
        as ``signature=``, the signature sent."""
        sent = raw if raw is not None else json.dumps(body, indent=1).encode()
        headers = snap.transaction_request_headers(
            method="POST",
            path=path,
            access_token=changes.get("token") or self.token(),
            body=sent,
            timestamp=changes.get("timestamp") or snap.timestamp_now(timezone.now()),
            client_secret=changes.get("secret") or self.secret,
            partner_id=changes.get("partner_id") or self.client.client_key,
            external_id=changes.get("external_id") or str(next(_external_ids)),
        )
        if "signature" in changes:
            headers["X-SIGNATURE"] = changes["signature"]
        return self.api.post(
            path,
            sent,
            content_type="application/json",
            headers={k: v for k, v in headers.items() if k != "Content-Type"},
        )

    def va_body(self, participant_number: str, **extra: Any) -> dict[str, Any]:
        return {
            "partnerServiceId": self.service_id,
            "customerNo": participant_number,
            "virtualAccountNo": self.virtual_account(participant_number),
            **extra,
        }

    def inquiry(self, participant_number: str, **changes: Any) -> Any:
        body = self.va_body(participant_number, inquiryRequestId="INQ-1", channelCode=6011)
        return self.call(INQUIRY, body, **changes)

    def payment(self, participant_number: str, amount: int, request_id: str, **changes: Any) -> Any:
        body = self.va_body(
            participant_number,
            paymentRequestId=request_id,
            paidAmount={"value": snap.amount_text(amount), "currency": "IDR"},
            channelCode=6011,
        )
        return self.call(PAYMENT, body, **changes)

    def status(self, participant_number: str, request_id: str, **changes: Any) -> Any:
        return self.call(
            STATUS, self.va_body(participant_number, paymentRequestId=request_id), **changes
        )
