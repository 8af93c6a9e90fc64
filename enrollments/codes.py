"""Participant numbers and payment codes. Pure.

Both are random (from ``secrets``), so one reveals nothing about another, and end with
a Damm check digit, which catches every single-digit error and every swap of two
adjacent digits: the mistakes people make reading a code aloud or typing it at a
payment counter. Digits only, because payment channels (banks' virtual accounts,
retail tills) take digits, and digits are unambiguous aloud.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

PARTICIPANT_NUMBER_LENGTH = 11
PAYMENT_CODE_LENGTH = 14

# The Damm quasigroup of order 10 (weakly totally anti-symmetric).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_check_digit(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def damm_is_valid(code: str) -> bool:
    return code.isascii() and code.isdigit() and damm_check_digit(code) == "0"


def _random_code(length: int, randbelow: Callable[[int], int]) -> str:
    body = str(randbelow(9) + 1) + "".join(str(randbelow(10)) for _ in range(length - 2))
    return body + damm_check_digit(body)


def new_participant_number(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return _random_code(PARTICIPANT_NUMBER_LENGTH, randbelow)


def new_payment_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return _random_code(PAYMENT_CODE_LENGTH, randbelow)


def payment_code_is_well_formed(code: str) -> bool:
    return len(code) == PAYMENT_CODE_LENGTH and damm_is_valid(code)
