"""The enrollments app's refusals, each with a stable code (docs/architecture.md,
"Errors"). None of them says anything about who registered a NIK, or when."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, ConflictError


class NikAlreadyRegisteredError(ConflictError):
    code = "nik_already_registered"
    default_message = _("This NIK is already registered as a participant.")


class ClientUuidConflictError(ConflictError):
    default_message = _("This client_uuid was already used for another registration.")


class ClientUuidReusedError(ConflictError):
    """The agent's own client_uuid, sent again with another worker's NIK: answering
    ``duplicate`` would leave that worker silently unregistered."""

    code = "client_uuid_reused"
    default_message = _(
        "This client_uuid belongs to another registration, of another worker: give this "
        "worker's registration a new client_uuid."
    )


class ChannelRefConflictError(ConflictError):
    code = "channel_ref_conflict"
    default_message = _("This channel_ref was already used with another request body.")


class UnknownPaymentCodeError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "unknown_payment_code"
    default_message = _("No registration has this payment code.")


class AmountMismatchError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "amount_mismatch"
    default_message = _(
        "The amount is not the registration's monthly contribution times the months paid."
    )


class NotSponsoredError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "not_sponsored"
    default_message = _("This sponsor does not fund this participant for these months.")


class ReservationLimitError(ConflictError):
    """The agent already holds as many unused numbers as allowed: the app should use
    (or let expire) some before reserving more."""

    code = "reservation_limit_reached"
    default_message = _(
        "You already hold too many unused reserved numbers: use some before reserving more."
    )
