import datetime

import pytest
from cryptography.fernet import Fernet, InvalidToken
from rest_framework import serializers

from core import crypto
from core.dates import add_months, month_end, period_of
from core.fields import StrictCharField, StrictRegexField
from core.phone import PhoneError, looks_like_phone, normalise_phone
from core.throttling import attempt_take, attempts_forget


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "+6281234567890",
        "6281234567890",
        "0812-3456-7890",
        "+62 812 3456 7890",
        "(0812) 3456.7890",
    ],
)
def test_mobile_numbers_normalise_to_e164(raw):
    assert normalise_phone(raw) == "+6281234567890"


FULL_WIDTH_PHONE = "".join(chr(ord(digit) + 0xFEE0) for digit in "081234567890")


@pytest.mark.parametrize(
    "raw", ["0211234567", "08123", "0812345678901234", "+6591234567", "abc", FULL_WIDTH_PHONE]
)
def test_landlines_short_and_foreign_numbers_are_refused(raw):
    assert not looks_like_phone(raw)
    with pytest.raises(PhoneError):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 3, 31), 6, datetime.date(2026, 9, 30)),
        (datetime.date(2026, 8, 31), 6, datetime.date(2027, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 11, 22), 14, datetime.date(2028, 1, 22)),
        (datetime.date(2026, 1, 15), -1, datetime.date(2025, 12, 15)),
    ],
)
def test_add_months_clamps_to_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_month_end_and_period():
    assert month_end(datetime.date(2028, 2, 3)) == datetime.date(2028, 2, 29)
    assert period_of(datetime.date(2026, 11, 22)) == "2026-11"


def test_attempts_are_counted_within_a_fixed_window():
    now = 1_000_000.0 * 900 + 100  # 100 s into a window
    results = [attempt_take(scope="t", key="k1", limit=2, window=900, now=now) for _ in range(3)]
    assert [r.allowed for r in results] == [True, True, False]
    assert results[-1].retry_after == 800
    later = attempt_take(scope="t", key="k1", limit=2, window=900, now=now + 800)
    assert later.allowed and later.count == 1  # a new window
    attempts_forget(scope="t", key="k1", window=900, now=now)
    assert attempt_take(scope="t", key="k1", limit=2, window=900, now=now).count == 1


def test_nik_encryption_keys_rotate_without_losing_data(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old_key]
    token = crypto.encrypt("7471014507900001")

    settings.ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt(token) == "7471014507900001"
    rotated = crypto.reencrypt(token)

    settings.ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(rotated) == "7471014507900001"
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def test_the_lookup_hash_is_keyed(settings):
    first = crypto.keyed_digest("7471014507900001")
    settings.NIK_HASH_KEY = "another-key"
    assert crypto.keyed_digest("7471014507900001") != first


@pytest.mark.parametrize("value", [0, 12.5, True, ["KDI"], {"code": "KDI"}])
def test_strict_string_fields_refuse_what_is_not_a_string(value):
    class Form(serializers.Serializer):
        name = StrictCharField()
        code = StrictRegexField(r"^[A-Z]{3}$")

    assert Form(data={"name": "Kendari", "code": "KDI"}).is_valid()
    form = Form(data={"name": value, "code": value})
    assert not form.is_valid()
    assert set(form.errors) == {"name", "code"}
