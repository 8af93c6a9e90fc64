import json
import logging
import sys

from core.logging import JsonFormatter, RedactFilter, redact

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
