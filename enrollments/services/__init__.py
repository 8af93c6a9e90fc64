"""Every write to participants, registrations and payments goes through here."""

from enrollments.services.payments import (
    LineReceipt,
    ParticipantAfterReversal,
    PaymentLineInput,
    PaymentReceipt,
    ReversalReceipt,
    payment_receive,
    payment_reverse,
)
from enrollments.services.registrations import (
    Channel,
    Consent,
    ItemResult,
    Location,
    Outcome,
    RegistrationInput,
    registration_register_one,
    registrations_register,
)
from enrollments.services.sponsors import sponsorship_create
from enrollments.services.status import participant_statuses_refresh

__all__ = [
    "Channel",
    "Consent",
    "ItemResult",
    "LineReceipt",
    "Location",
    "Outcome",
    "ParticipantAfterReversal",
    "PaymentLineInput",
    "PaymentReceipt",
    "RegistrationInput",
    "ReversalReceipt",
    "participant_statuses_refresh",
    "payment_receive",
    "payment_reverse",
    "registration_register_one",
    "registrations_register",
    "sponsorship_create",
]
