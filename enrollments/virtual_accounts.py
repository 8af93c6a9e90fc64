"""Virtual-account numbers (DESIGN §9). Pure.

A participant's number at a channel is the channel's ``partnerServiceId`` (8 characters,
digits left-padded with spaces, as SNAP sends it) followed by the customer number, which
is the participant number itself: 11 digits with a Damm check digit, so a mistyped
number is caught before any bill is looked up. 19 characters in all (SNAP allows 20).
"""

from __future__ import annotations

from enrollments import codes
from partners.snap import PARTNER_SERVICE_ID_LENGTH, partner_service_id_padded

__all__ = [
    "PARTNER_SERVICE_ID_LENGTH",
    "customer_number",
    "participant_number_of",
    "partner_service_id_padded",
    "shown_number",
    "shown_numbers",
    "split_virtual_account",
    "virtual_account_number",
]
CUSTOMER_NUMBER_LENGTH = codes.PARTICIPANT_NUMBER_LENGTH
VIRTUAL_ACCOUNT_LENGTH = PARTNER_SERVICE_ID_LENGTH + CUSTOMER_NUMBER_LENGTH


def customer_number(participant_number: str) -> str:
    return participant_number


def virtual_account_number(partner_service_id: str, participant_number: str) -> str:
    return partner_service_id.rjust(PARTNER_SERVICE_ID_LENGTH) + customer_number(participant_number)


def participant_number_of(customer_no: str) -> str | None:
    """The participant number a customer number stands for, or None when it cannot be
    one (wrong length, not digits, a failed check digit)."""
    number = customer_no.strip(" ")
    if len(number) != CUSTOMER_NUMBER_LENGTH or not codes.damm_is_valid(number):
        return None
    return number


def split_virtual_account(virtual_account_no: str) -> tuple[str, str] | None:
    """``(partnerServiceId, customerNo)`` of a virtual-account number as a channel sends
    it (the service id padded to 8), or None when it has the wrong length."""
    if len(virtual_account_no) != VIRTUAL_ACCOUNT_LENGTH:
        return None
    return (
        virtual_account_no[:PARTNER_SERVICE_ID_LENGTH],
        virtual_account_no[PARTNER_SERVICE_ID_LENGTH:],
    )


def shown_number(partner_service_id: str, participant_number: str) -> str:
    """The number a worker types at a counter or in an app: the service id's digits
    without SNAP's padding, then the participant number (``8889945702204784``)."""
    return partner_service_id.strip(" ") + customer_number(participant_number)


def shown_numbers(channels: list[tuple[str, str]], participant_number: str) -> list[dict[str, str]]:
    """``[{"channel", "number"}]`` at each SNAP channel of ``channels`` (code, service id)."""
    return [
        {"channel": code, "number": shown_number(service_id, participant_number)}
        for code, service_id in channels
    ]
