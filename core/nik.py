"""NIK (Nomor Induk Kependudukan) rules. Pure: plain values in, plain values out.

Layout ``PP KK CC DDMMYY SSSS``: province, regency, district, birth date (day + 40 for
women), serial. There is no check digit. A NIK whose embedded date or sex disagrees
with the declared ones is still accepted, with a warning: the NIK never changes, even
when the date in it is wrong.

Messages never repeat the NIK: they end up in responses and logs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

from core.geography_data import PROVINCE_CODES

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40
Sex = Literal["M", "F"]


class NikError(ValueError):
    """``code`` is stable: nik_format, nik_province, nik_birth_date, nik_serial."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedNik:
    value: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: datetime.date
    sex: Sex
    serial: str

    @property
    def last4(self) -> str:
        return self.value[-4:]


@dataclass(frozen=True)
class NikWarning:
    code: str
    message: str


def normalise_nik(raw: str) -> str:
    """Drops the spaces, dots and dashes people type between the groups."""
    return "".join(ch for ch in raw if ch not in " .-\t")


def parse_nik(raw: str, *, today: datetime.date) -> ParsedNik:
    """Validates the structure and returns the parts. ``today`` decides the century of
    the two-digit birth year: the latest year that is not in the future."""
    value = normalise_nik(raw)
    if len(value) != NIK_LENGTH or not value.isascii() or not value.isdigit():
        raise NikError("nik_format", "A NIK is 16 digits.")
    province = value[0:2]
    if province not in PROVINCE_CODES:
        raise NikError("nik_province", "The NIK's first two digits are not a province code.")
    day, month, year2 = int(value[6:8]), int(value[8:10]), int(value[10:12])
    sex: Sex = "F" if day > FEMALE_DAY_OFFSET else "M"
    if sex == "F":
        day -= FEMALE_DAY_OFFSET
    year = 2000 + year2 if 2000 + year2 <= today.year else 1900 + year2
    try:
        birth_date = datetime.date(year, month, day)
    except ValueError:
        raise NikError("nik_birth_date", "The NIK does not hold a real date of birth.") from None
    if birth_date > today:
        raise NikError("nik_birth_date", "The NIK's date of birth is in the future.")
    serial = value[12:16]
    if serial == "0000":
        raise NikError("nik_serial", "The NIK's serial number cannot be 0000.")
    return ParsedNik(
        value=value,
        province_code=province,
        regency_code=value[0:4],
        district_code=value[0:6],
        birth_date=birth_date,
        sex=sex,
        serial=serial,
    )


def nik_warnings(
    parsed: ParsedNik, *, birth_date: datetime.date | None, sex: Sex | None
) -> list[NikWarning]:
    warnings = []
    if birth_date is not None and birth_date != parsed.birth_date:
        warnings.append(
            NikWarning(
                "nik_birth_date_mismatch",
                "The date of birth in the NIK differs from the declared one.",
            )
        )
    if sex is not None and sex != parsed.sex:
        warnings.append(
            NikWarning(
                "nik_sex_mismatch", "The sex encoded in the NIK differs from the declared one."
            )
        )
    return warnings


def mask_nik(last4: str) -> str:
    return "*" * (NIK_LENGTH - len(last4)) + last4
