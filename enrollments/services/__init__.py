"""Every write to participants, registrations and payments goes through here."""

from enrollments.services.follow_ups import (
    ContactInput,
    ContactResult,
    contacts_record,
    death_reports_close,
)
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
from enrollments.services.reminders import reminders_plan, reminders_send_now
from enrollments.services.reservations import numbers_reserve
from enrollments.services.sponsors import sponsorship_create
from enrollments.services.status import participant_statuses_refresh

__all__ = [
    "Channel",
    "Consent",
    "ContactInput",
    "ContactResult",
    "ItemResult",
    "LineReceipt",
    "Location",
    "Outcome",
    "ParticipantAfterReversal",
    "PaymentLineInput",
    "PaymentReceipt",
    "RegistrationInput",
    "ReversalReceipt",
    "contacts_record",
    "death_reports_close",
    "numbers_reserve",
    "participant_statuses_refresh",
    "payment_receive",
    "payment_reverse",
    "registration_register_one",
    "registrations_register",
    "reminders_plan",
    "reminders_send_now",
    "sponsorship_create",
]
