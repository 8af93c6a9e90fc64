"""The SNAP surface a bank integrates against (DESIGN §9): the base every ``/snap/v1.0/``
endpoint shares (answers and refusals in the standard's shape, refusals in the
refused-requests log) and the access-token endpoint. The virtual-account endpoints are
enrollments' (they present bills and take payments)."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.db import InterfaceError, OperationalError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from core.exceptions import UnavailableError
from core.fields import StrictCharField, StrictRegexField
from partners import services, snap
from partners.errors import SnapRefusal
from partners.models import SnapClient
from partners.services.snap import SnapRequest, snap_request_verify, snap_token_issue

logger = logging.getLogger(__name__)

TIMESTAMP_HELP = "ISO 8601 with offset, e.g. 2026-12-03T10:15:00+07:00; within 5 minutes."


class SnapAnswerSerializer(serializers.Serializer):
    responseCode = StrictRegexField(r"^[0-9]{7}$", help_text="HTTP status, service, case")
    responseMessage = StrictCharField(max_length=150)


class AmountSerializer(serializers.Serializer):
    value = StrictRegexField(
        r"^[0-9]{1,16}\.00$", help_text="Whole rupiah with two decimals, e.g. 110400.00"
    )
    currency = serializers.ChoiceField(choices=["IDR"])


def snap_header(name: str, description: str, pattern: str | None = None) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        OpenApiParameter.HEADER,
        required=True,
        description=description,
        pattern=pattern,
    )


TRANSACTION_HEADERS = [
    snap_header("Authorization", "`Bearer <accessToken>` from access-token/b2b", r"^Bearer .+$"),
    snap_header("X-TIMESTAMP", TIMESTAMP_HELP),
    snap_header(
        "X-SIGNATURE",
        "Base64 HMAC-SHA512 with the client secret over "
        "METHOD:path:accessToken:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP",
    ),
    snap_header("X-PARTNER-ID", "The channel's client key"),
    snap_header("X-EXTERNAL-ID", "Digits, unique per channel per day", r"^[0-9]{1,36}$"),
    snap_header("CHANNEL-ID", "The channel's device or channel code"),
]


def snap_refusals(service: str) -> dict[int, OpenApiResponse]:
    """The refusals every SNAP endpoint may answer, by HTTP status."""
    shape = SnapAnswerSerializer
    return {
        400: OpenApiResponse(shape, description=f"400{service}00-02: bad request or field"),
        401: OpenApiResponse(shape, description=f"401{service}00-01: signature, token, time"),
        409: OpenApiResponse(shape, description=f"409{service}00: X-EXTERNAL-ID repeated today"),
        429: OpenApiResponse(shape, description=f"429{service}00: too many requests"),
        504: OpenApiResponse(shape, description=f"504{service}00: the database is restarting"),
    }


class SnapApi(APIView):
    """Base of the SNAP endpoints. Authentication is the standard's own (RSA for the
    token, then a bearer token and an HMAC per request), not DRF's, so that every
    refusal, including a malformed body, answers ``responseCode``/``responseMessage``
    with this endpoint's service code."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    service_code: ClassVar[str] = ""
    # Transaction endpoints verify the bearer token and HMAC before anything else.
    verifies_transactions: ClassVar[bool] = True

    snap_client: SnapClient | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # The raw bytes, before DRF's parser reads the stream: the signature covers them.
        self.raw_body: bytes = request._request.body
        super().initial(request, *args, **kwargs)
        if self.verifies_transactions:
            headers = request.headers
            self.snap_client = snap_request_verify(
                SnapRequest(
                    method=request.method or "",
                    path=request.path,
                    authorization=headers.get("Authorization", ""),
                    timestamp=headers.get("X-TIMESTAMP", ""),
                    signature=headers.get("X-SIGNATURE", ""),
                    partner_id=headers.get("X-PARTNER-ID", ""),
                    external_id=headers.get("X-EXTERNAL-ID", ""),
                    channel_id=headers.get("CHANNEL-ID", ""),
                    body=self.raw_body,
                )
            )

    def client(self) -> SnapClient:
        assert self.snap_client is not None  # initial() has verified it  # noqa: S101
        return self.snap_client

    def validated(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The body by ``serializer_class``; the first field at fault is named in the
        standard's "Invalid Mandatory Field" or "Invalid Field Format"."""
        if not isinstance(self.request.data, dict):
            raise SnapRefusal(snap.BAD_REQUEST)
        serializer = serializer_class(data=self.request.data)
        if serializer.is_valid():
            return dict(serializer.validated_data)
        name, path, missing = _first_error(serializer.errors)
        outcome = snap.INVALID_MANDATORY_FIELD if missing else snap.INVALID_FIELD_FORMAT
        raise SnapRefusal(outcome, path or name)

    def answer(self, body: dict[str, Any]) -> Response:
        return Response(
            {
                "responseCode": snap.SUCCESSFUL.code(self.service_code),
                "responseMessage": snap.SUCCESSFUL.message,
                **body,
            }
        )

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, SnapRefusal):
            outcome, message = exc.outcome, exc.message
        elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
            outcome, message = snap.BAD_REQUEST, snap.BAD_REQUEST.message
        elif isinstance(exc, exceptions.Throttled):
            outcome, message = snap.TOO_MANY_REQUESTS, snap.TOO_MANY_REQUESTS.message
        elif isinstance(exc, exceptions.MethodNotAllowed | exceptions.NotAcceptable):
            return super().handle_exception(exc)
        elif isinstance(exc, OperationalError | InterfaceError):
            # PostgreSQL down or restarting: nothing can be logged; the bank asks again.
            code = snap.TIMEOUT.code(self.service_code)
            return Response(
                {"responseCode": code, "responseMessage": snap.TIMEOUT.message},
                status=snap.TIMEOUT.http_status,
                headers={"Retry-After": str(UnavailableError.retry_after)},
            )
        else:
            logger.exception("snap: request failed", extra={"path": self.request.path})
            outcome, message = snap.GENERAL_ERROR, snap.GENERAL_ERROR.message
        code = outcome.code(self.service_code)
        response = Response(
            {"responseCode": code, "responseMessage": message}, status=outcome.http_status
        )
        client = self.snap_client
        services.refused_request_record(
            partner=client.partner if client else None,
            key_prefix=(self.request.headers.get("X-PARTNER-ID") or "")[:16],
            method=self.request.method or "",
            path=self.request.path,
            status_code=outcome.http_status,
            code=f"snap_{code}",
            client_ip=BaseThrottle().get_ident(self.request),
            body=getattr(self, "raw_body", b""),
        )
        return response


def _first_error(errors: Any, prefix: str = "") -> tuple[str, str, bool]:
    """(field, dotted path, whether it was missing) of the first error."""
    if isinstance(errors, dict):
        for name, value in errors.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            found_name, found_path, missing = _first_error(value, path)
            return found_name or str(name), found_path or path, missing
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict | list):
            return _first_error(first, prefix)
        return "", prefix, getattr(first, "code", "") in {"required", "null", "blank"}
    return "", prefix, False


class AccessTokenApi(SnapApi):
    """``POST /snap/v1.0/access-token/b2b``."""

    service_code = snap.ACCESS_TOKEN_SERVICE
    verifies_transactions = False

    class InputSerializer(serializers.Serializer):
        grantType = serializers.ChoiceField(choices=["client_credentials"])

    class OutputSerializer(SnapAnswerSerializer):
        accessToken = StrictCharField()
        tokenType = serializers.ChoiceField(choices=["Bearer"])
        expiresIn = StrictCharField(help_text="Seconds, as a string: 900")

    @extend_schema(
        operation_id="snap_access_token_b2b",
        tags=["snap"],
        auth=[],
        description=(
            "A B2B access token (900 s) for a channel that signs `X-CLIENT-KEY|X-TIMESTAMP` "
            "with SHA256withRSA under the private key whose public key is registered for it."
        ),
        parameters=[
            snap_header("X-CLIENT-KEY", "The channel's client key"),
            snap_header("X-TIMESTAMP", TIMESTAMP_HELP),
            snap_header("X-SIGNATURE", "Base64 SHA256withRSA over X-CLIENT-KEY|X-TIMESTAMP"),
        ],
        request=InputSerializer,
        responses={200: OutputSerializer, **snap_refusals(snap.ACCESS_TOKEN_SERVICE)},
    )
    def post(self, request: Request) -> Response:
        headers = request.headers
        client_key = headers.get("X-CLIENT-KEY", "")
        client, token = snap_token_issue(
            client_key=client_key,
            timestamp=headers.get("X-TIMESTAMP", ""),
            signature=headers.get("X-SIGNATURE", ""),
        )
        self.snap_client = client
        self.validated(self.InputSerializer)
        return self.answer(
            {
                "accessToken": token.token,
                "tokenType": "Bearer",
                "expiresIn": str(token.expires_in),
            }
        )
