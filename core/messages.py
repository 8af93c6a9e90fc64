"""Translated messages for the pure rules' error codes (the pure modules stay free of
Django, and of any language)."""

from django.utils.translation import gettext as _

from core.nik import NikError


def nik_error_message(error: NikError) -> str:
    messages = {
        "nik_format": _("A NIK is 16 digits."),
        "nik_province": _("The NIK's first two digits are not a province code."),
        "nik_birth_date": _("The NIK does not hold a valid date of birth."),
        "nik_serial": _("The NIK's serial number cannot be 0000."),
    }
    return messages.get(error.code, _("The NIK is not valid."))
