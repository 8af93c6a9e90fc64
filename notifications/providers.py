"""Where messages go: one small interface, two providers, chosen by settings.

``console`` (the default) writes a log line with the phone masked; ``http`` posts
``{id, to, text}`` to one gateway URL from the settings, never to an address a caller
gave. The message id is the gateway's idempotency key: a message sent again after an
answer that never came is one message to the gateway.

A provider may keep a connection between messages; whoever made it closes it.
"""

from __future__ import annotations

import enum
import http.client
import json
import logging
import ssl
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from notifications import rules

logger = logging.getLogger(__name__)

PROVIDER_MESSAGE_ID_MAX = 100
ANSWER_MAX_BYTES = 64 * 1024


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    RETRY = "retry"  # the gateway may take it later: timeouts, 5xx, 429
    PERMANENT = "permanent"  # the gateway refused this message: 4xx


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider_message_id: str = ""
    # Says what happened without repeating what was sent: no phone, no text.
    error: str = ""


class Provider(Protocol):
    def send(self, *, message_id: str, to: str, text: str) -> SendResult: ...

    def close(self) -> None: ...


class ConsoleProvider:
    """For development and demos: the message in the log, the phone masked and any
    NIK-long digit run masked (a text never holds a NIK; this holds anyway)."""

    def send(self, *, message_id: str, to: str, text: str) -> SendResult:
        logger.info(
            "notifications: message (console provider)",
            extra={
                "message_id": message_id,
                "to": rules.mask_phone(to),
                "text": rules.mask_long_digit_runs(text),
            },
        )
        return SendResult(Outcome.ACCEPTED, provider_message_id=f"console-{message_id}")

    def close(self) -> None:
        pass


class HttpProvider:
    """``POST {id, to, text}`` as JSON to the gateway, ``Authorization: Bearer``. 2xx is
    accepted (the gateway's ``message_id`` kept when it gives one), 4xx other than 429
    refused for good, anything else tried again later. The connection is kept for the
    next message while the gateway keeps it open."""

    def __init__(
        self, *, url: str, token: str, connect_timeout: float, read_timeout: float
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured("NOTIFICATIONS_HTTP_URL must be an http(s) URL")
        if not token:
            raise ImproperlyConfigured("Set NOTIFICATIONS_HTTP_TOKEN for the http provider")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.token = token
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._kept: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host,
                self.port,
                timeout=self.connect_timeout,
                context=ssl.create_default_context(),
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def send(self, *, message_id: str, to: str, text: str) -> SendResult:
        body = json.dumps({"id": message_id, "to": to, "text": text}, ensure_ascii=False)
        reused = self._kept is not None and self._kept.sock is not None
        try:
            try:
                status, answer = self._post(body.encode(), message_id)
            except ConnectionError:
                if not reused:
                    raise
                # The gateway closed the kept connection while it was idle, before this
                # request: once more on a new one (the id makes a repeat one message).
                self.close()
                status, answer = self._post(body.encode(), message_id)
        except TimeoutError:
            self.close()
            return SendResult(Outcome.RETRY, error="timeout")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return SendResult(Outcome.RETRY, error=f"connection: {type(exc).__name__}")
        if 200 <= status < 300:
            return SendResult(Outcome.ACCEPTED, provider_message_id=_gateway_id(answer))
        if status == 429 or status >= 500:
            return SendResult(Outcome.RETRY, error=f"HTTP {status}")
        if 400 <= status < 500:
            return SendResult(Outcome.PERMANENT, error=f"HTTP {status}")
        return SendResult(Outcome.RETRY, error=f"HTTP {status}")

    def _post(self, body: bytes, message_id: str) -> tuple[int, bytes]:
        if self._kept is None:
            self._kept = self._connection()
        connection = self._kept
        if connection.sock is None:
            connection.connect()
            assert connection.sock is not None  # noqa: S101 (connect() made it)
            connection.sock.settimeout(self.read_timeout)
        connection.request(
            "POST",
            self.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": message_id,
            },
        )
        response = connection.getresponse()
        answer = response.read(ANSWER_MAX_BYTES)
        if not response.isclosed():  # an answer longer than we read: the rest is not ours
            self.close()
        return response.status, answer


def _gateway_id(answer: bytes) -> str:
    try:
        data = json.loads(answer or b"null")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    value = data.get("message_id", data.get("id", ""))
    return str(value)[:PROVIDER_MESSAGE_ID_MAX] if isinstance(value, str | int) else ""


PROVIDERS = ("console", "http")


def provider_from_settings() -> Provider:
    name = settings.NOTIFICATIONS_PROVIDER
    if name == "console":
        return ConsoleProvider()
    if name == "http":
        return HttpProvider(
            url=settings.NOTIFICATIONS_HTTP_URL,
            token=settings.NOTIFICATIONS_HTTP_TOKEN,
            connect_timeout=settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT,
            read_timeout=settings.NOTIFICATIONS_HTTP_READ_TIMEOUT,
        )
    raise ImproperlyConfigured(f"NOTIFICATIONS_PROVIDER must be one of {', '.join(PROVIDERS)}")
