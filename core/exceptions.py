"""The one error contract of the API: every error is
``{"code": "...", "message": "...", "fields": {...}}`` with ``fields`` only for
validation errors, the message in the caller's language (Accept-Language).

Services raise an ``ApplicationError`` subclass with a stable ``code``; the DRF
exception handler below turns those, DRF's own exceptions and Django's Http404 /
PermissionDenied / ValidationError into that shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.settings import api_settings


class ApplicationError(Exception):
    """A refusal by the domain, with a stable machine-readable code.

    The message must never contain personal data (a NIK, a phone number): it is shown
    to the caller and may end up in their logs.
    """

    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "error"
    default_message: str | Promise = _("The request could not be processed.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields
        # More members of the error body, beside code, message and fields.
        self.extra = extra or {}
        super().__init__(self.code)


class InvalidInputError(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "validation_error"
    default_message = _("The request is not valid.")


class PermissionDeniedError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = _("Not found.")


class UnavailableError(ApplicationError):
    """A dependency the request cannot do without is down; the client should retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "unavailable"
    default_message = _("The service is temporarily unavailable. Try again shortly.")
    # Seconds a client should wait before trying again: a database restart or a
    # failover is over in about that time.
    retry_after = 10


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = _("The request conflicts with the current state.")


# DRF's exceptions, by class, to the contract's code and our own translated message.
# Order matters: subclasses before their bases.
_DRF_ERRORS: list[tuple[type[exceptions.APIException], str, str | Promise]] = [
    (exceptions.ValidationError, "validation_error", InvalidInputError.default_message),
    (exceptions.ParseError, "validation_error", _("The request body is not valid JSON.")),
    (exceptions.NotAuthenticated, "not_authenticated", _("Authentication is required.")),
    (
        exceptions.AuthenticationFailed,
        "not_authenticated",
        _("The credentials are missing, invalid or expired."),
    ),
    (exceptions.PermissionDenied, "permission_denied", PermissionDeniedError.default_message),
    (exceptions.NotFound, "not_found", NotFoundError.default_message),
    (exceptions.MethodNotAllowed, "method_not_allowed", _("This method is not allowed here.")),
    (exceptions.NotAcceptable, "not_acceptable", _("The requested format is not available.")),
    (
        exceptions.UnsupportedMediaType,
        "unsupported_media_type",
        _("Send the request body as application/json."),
    ),
]


def error_body(
    code: str, message: str | Promise, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if fields is not None:
        body["fields"] = fields
    return body


def _plain(detail: Any) -> Any:
    """ErrorDetail trees to plain JSON values."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def validation_fields(detail: Any) -> dict[str, Any]:
    plain = _plain(detail)
    if isinstance(plain, dict):
        return plain
    if not isinstance(plain, list):
        plain = [plain]
    return {api_settings.NON_FIELD_ERRORS_KEY: plain}


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=get_error_detail(exc))
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(
            error_body(exc.code, exc.message, exc.fields) | exc.extra,
            status=exc.status_code,
            headers={"Retry-After": str(exc.retry_after)}
            if isinstance(exc, ThrottledError | UnavailableError)
            else None,
        )

    if isinstance(exc, RequestDataTooBig):
        # A body without Content-Length that grew past DATA_UPLOAD_MAX_MEMORY_SIZE.
        return Response(
            error_body("payload_too_large", _("The request body is too large.")), status=413
        )
    exc = _as_api_exception(exc)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 answers with the contract's shape

    headers: dict[str, str] = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header

    if isinstance(exc, exceptions.Throttled):
        wait = int(getattr(exc, "wait", None) or 1)
        headers["Retry-After"] = str(wait)
        message = ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        return Response(error_body("throttled", message), status=429, headers=headers)

    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body(
                "validation_error", InvalidInputError.default_message, validation_fields(exc.detail)
            ),
            status=exc.status_code,
            headers=headers,
        )

    code, message = str(exc.default_code), str(exc.detail)
    for exc_class, contract_code, contract_message in _DRF_ERRORS:
        if isinstance(exc, exc_class):
            code, message = contract_code, str(contract_message)
            break
    # DRF answers 403 instead of 401 when no authenticator offers a challenge.
    if code == "not_authenticated" and exc.status_code == status.HTTP_403_FORBIDDEN:
        code = "permission_denied"
    return Response(error_body(code, message), status=exc.status_code, headers=headers)


class ThrottledError(ApplicationError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            ngettext(
                "Too many requests. Try again in %(seconds)d second.",
                "Too many requests. Try again in %(seconds)d seconds.",
                retry_after,
            )
            % {"seconds": retry_after}
        )
