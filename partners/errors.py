"""The partners app's refusals, each with a stable code (docs/architecture.md, "Errors")."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, ConflictError, PermissionDeniedError
from partners import snap


class InvalidApiKeyError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "not_authenticated"
    default_message = _("The API key is missing, wrong or revoked.")


class BadSignatureError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "bad_signature"
    default_message = _("The request signature is missing or wrong.")


class StaleSignatureError(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    code = "stale_signature"
    default_message = _("The request signature's timestamp is too old or in the future.")


class NotPermitOfficeError(PermissionDeniedError):
    default_message = _("Only PTSP and PATEN offices check permits.")


class NotPaymentChannelError(PermissionDeniedError):
    default_message = _("Only payment channels report payments.")


class NotMessageGatewayError(PermissionDeniedError):
    default_message = _("Only message gateways report deliveries and replies.")


class OutsideJurisdictionError(PermissionDeniedError):
    default_message = _("This company is outside your office's jurisdiction.")


class ApplicationRefReusedError(ConflictError):
    """An office sent an application reference again with another NIB: the first check
    stands, and this one is not made."""

    default_message = _("This application reference was already used for another NIB.")


class PartnerDoesNotSignError(ConflictError):
    default_message = _("Only payment channels and message gateways sign their requests.")


class SnapRefusal(Exception):  # noqa: N818 (the standard's word for a refused request)
    """A SNAP request refused with one of the standard's outcomes; ``detail`` names the
    field or reason (``Unauthorized. [Signature]``). The SNAP views answer it in the
    standard's shape, with their own service code."""

    def __init__(self, outcome: snap.Outcome, detail: str = "") -> None:
        super().__init__(outcome.message)
        self.outcome = outcome
        self.detail = detail

    @property
    def message(self) -> str:
        return f"{self.outcome.message} [{self.detail}]" if self.detail else self.outcome.message
