"""Structured logging: one JSON object per line, with anything shaped like a NIK
masked before it is written."""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from core.geography_data import PROVINCE_CODES

# A NIK's shape (core/nik.py): a province code, four digits of regency and district, a
# birth date DDMMYY (day plus 40 for women), a four-digit serial; 16 digits that stand
# alone. Not a run of digits inside a longer number, nor the fraction of a decimal
# (Celery's "succeeded in 0.0123456789018532s") or its integer part: a dot with a digit
# behind it or after it joins the digits into one number. The date part keeps other
# 16-digit numbers (timestamps in microseconds, amounts, references) readable, and any
# value that passed core.nik.parse_nik has that shape.
_PROVINCE = "|".join(sorted(PROVINCE_CODES))
_DAY = r"(?:0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_NIK_LIKE = re.compile(
    rf"(?<!\d)(?<!\d\.)((?:{_PROVINCE})\d{{4}}{_DAY}{_MONTH}\d{{2}})(\d{{4}})(?!\d)(?!\.\d)"
)

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    return _NIK_LIKE.sub(r"************\2", text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))
