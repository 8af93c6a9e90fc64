import datetime
import json
import logging
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.geography_data import PROVINCE_CODES
from core.logging import JsonFormatter, RedactFilter, redact
from core.nik import parse_nik

NIK = "7471014507900001"


def test_redact_masks_a_nik_but_not_longer_or_shorter_numbers():
    assert redact(f"nik={NIK}") == "nik=************0001"
    assert redact("account 12345678901234567") == "account 12345678901234567"
    assert redact("phone 081234567890") == "phone 081234567890"


def test_log_lines_are_json_and_never_carry_a_nik():
    record = logging.makeLogRecord(
        {
            "name": "perisai.test",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "registration for %s",
            "args": (NIK,),
            "branch": "KDI",
        }
    )
    RedactFilter().filter(record)
    try:
        raise ValueError(f"bad {NIK}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert NIK not in line
    entry = json.loads(line)
    assert entry["message"] == "registration for ************0001"
    assert entry["branch"] == "KDI"
    assert entry["level"] == "INFO"
    assert "************0001" in entry["exception"]


@pytest.mark.parametrize(
    "text",
    [
        # Celery's runtimes: 16 digits after "0.", NIK-shaped or not.
        "Task fees.tasks.recompute_branch[4f1c] succeeded in 0.1234567890128532s: None",
        "succeeded in 0.7471014507908532s",
        # A NIK-shaped integer part of a decimal number.
        "ratio 7471014507900001.25",
        # 16 digits that are no NIK: a timestamp in microseconds (month 31), an invalid
        # province (99), an invalid month (13), an invalid day (00, 32, 72).
        "at 1764725131123456",
        "ref 9999999999999999",
        "ref 7471011513900001",
        "ref 7471010001900001",
        "ref 7471013201900001",
        "ref 7471017201900001",
        # Longer or shorter runs.
        "account 74710145079000011",
        "phone 081234567890",
    ],
)
def test_redact_leaves_numbers_that_are_not_a_nik_alone(text):
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"NIK {NIK}.", "NIK ************0001."),  # the end of a sentence
        (f"nik:{NIK}, ok", "nik:************0001, ok"),
        (f"[{NIK},3374015507900002]", "[************0001,************0002]"),  # a woman's
        (f"nik{NIK}x", "nik************0001x"),
        (f"a.{NIK}", "a.************0001"),  # a dot without a digit before it
        (f"-{NIK}", "-************0001"),
    ],
)
def test_redact_masks_a_nik_wherever_it_stands(text, expected):
    assert redact(text) == expected


@settings(max_examples=500, derandomize=True)
@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    area=st.integers(0, 9999),
    birth=st.dates(datetime.date(1930, 1, 1), datetime.date(2025, 12, 31)),
    female=st.booleans(),
    serial=st.integers(1, 9999),
    before=st.sampled_from(["", " ", "=", "nik ", '"', "(", "a.", "x"]),
    after=st.sampled_from(["", " ", ".", ",", '"', ")", "s", ". Next"]),
)
def test_every_valid_nik_is_masked(province, area, birth, female, serial, before, after):
    day = birth.day + (40 if female else 0)
    nik = f"{province}{area:04d}{day:02d}{birth:%m%y}{serial:04d}"
    parse_nik(nik, today=datetime.date(2026, 1, 1))  # a NIK the service would accept
    line = redact(f"{before}{nik}{after}")
    assert nik not in line
    assert line == f"{before}************{nik[-4:]}{after}"


def test_a_celery_runtime_passes_the_formatter_unchanged():
    record = logging.makeLogRecord(
        {
            "name": "celery.app.trace",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
            "args": {"name": "t", "id": "1", "runtime": 0.0123456789018532, "return_value": None},
        }
    )
    RedactFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Task t[1] succeeded in 0.0123456789018532s: None"
