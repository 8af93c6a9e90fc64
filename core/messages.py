"""Translated messages for the pure rules' error codes (the pure modules stay free of
Django, and of any language)."""

from django.utils.translation import gettext as _

from core.names import PersonNameError
from core.nik import NikError


def nik_error_message(error: NikError) -> str:
    messages = {
        "nik_format": _("A NIK is 16 digits."),
        "nik_province": _("The NIK's first two digits are not a province code."),
        "nik_birth_date": _("The NIK does not hold a valid date of birth."),
        "nik_serial": _("The NIK's serial number cannot be 0000."),
    }
    return messages.get(error.code, _("The NIK is not valid."))


def person_name_error_message(error: PersonNameError) -> str:
    messages = {
        "name_hidden_characters": _(
            "The name contains invisible or control characters (such as line breaks or"
            " zero-width spaces): type it again."
        ),
        "name_no_letter": _("A name must contain at least one letter."),
    }
    return messages.get(error.code, _("The name is not valid."))


def phone_error_message() -> str:
    """For any ``PhoneError``: a mobile number is refused for one reason only."""
    return _("Enter an Indonesian mobile number, e.g. 081234567890.")
