"""Every write to participants, registrations and payments goes through here."""

from enrollments.services.payments import (
    AmountMismatchError,
    ChannelRefConflictError,
    PaymentAnswer,
    PaymentLineInput,
    UnknownPaymentCodeError,
    payment_receive,
    payment_reverse,
)
from enrollments.services.registrations import (
    Channel,
    ClientUuidConflictError,
    Consent,
    ItemResult,
    Location,
    NikAlreadyRegisteredError,
    Outcome,
    RegistrationInput,
    registration_register_one,
    registrations_register,
)
from enrollments.services.sponsors import sponsorship_create
from enrollments.services.status import participant_statuses_refresh

__all__ = [
    "AmountMismatchError",
    "Channel",
    "ChannelRefConflictError",
    "ClientUuidConflictError",
    "Consent",
    "ItemResult",
    "Location",
    "NikAlreadyRegisteredError",
    "Outcome",
    "PaymentAnswer",
    "PaymentLineInput",
    "RegistrationInput",
    "UnknownPaymentCodeError",
    "participant_statuses_refresh",
    "payment_receive",
    "payment_reverse",
    "registration_register_one",
    "registrations_register",
    "sponsorship_create",
]
