"""Webhook signatures: ``X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``"<t>.<raw body>"`` with the channel's signing secret. Any live secret may have signed
(rotation); the timestamp must be within the tolerance of the server's clock, either
way, so a captured request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from partners.errors import BadSignatureError, StaleSignatureError


def signature_of(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature_of(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _sep, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            signatures.append(value.strip().lower())
    if timestamp is None or not signatures:
        raise BadSignatureError()
    return timestamp, signatures


def signature_verify(
    *, header: str | None, body: bytes, secrets: Iterable[str], now: float, tolerance: int
) -> None:
    """Raises BadSignatureError or StaleSignatureError; returns quietly when any live
    secret signed this body at an acceptable time."""
    if not header:
        raise BadSignatureError()
    timestamp, signatures = _parse(header)
    if abs(now - timestamp) > tolerance:
        raise StaleSignatureError()
    matched = False
    for secret in secrets:
        expected = signature_of(secret, timestamp, body)
        for candidate in signatures:
            # Every comparison runs: the time taken says nothing about which matched.
            matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise BadSignatureError()
