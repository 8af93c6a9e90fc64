"""Structured logging: one JSON object per line, with anything shaped like a NIK
(16 digits standing alone) masked before it is written."""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

_NIK_LIKE = re.compile(r"(?<!\d)\d{12}(\d{4})(?!\d)")

# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def redact(text: str) -> str:
    return _NIK_LIKE.sub(r"************\1", text)


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
