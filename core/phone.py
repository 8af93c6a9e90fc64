"""Indonesian mobile numbers, normalised to E.164 (``+628...``). Pure."""

import re

# 08..., 628... or +628..., then 7 to 11 more digits (9 to 12 after the country code).
_MOBILE = re.compile(r"^(?:\+62|62|0)(8[1-9][0-9]{6,10})$")
_SEPARATORS = re.compile(r"[\s\-.()]")


class PhoneError(ValueError):
    code = "phone_format"


def normalise_phone(raw: str) -> str:
    match = _MOBILE.match(_SEPARATORS.sub("", raw))
    if match is None:
        raise PhoneError("Enter an Indonesian mobile number, e.g. 081234567890.")
    return f"+62{match.group(1)}"


def looks_like_phone(raw: str) -> bool:
    return _MOBILE.match(_SEPARATORS.sub("", raw)) is not None
