"""Bank Indonesia's SNAP (Standar Nasional Open API Pembayaran) as a biller answers it:
the strings each signature covers, the two signatures, the timestamp and the response
codes. Pure: no ORM, no request objects; partners/services/snap.py applies them.

- ``POST /snap/v1.0/access-token/b2b``: ``X-SIGNATURE`` is SHA256withRSA (PKCS#1 v1.5)
  over ``X-CLIENT-KEY + "|" + X-TIMESTAMP``, base64, checked with the channel's public
  key.
- Transaction requests: ``X-SIGNATURE`` is HMAC-SHA512 with the channel's client secret
  over ``METHOD:path:accessToken:lowercase(hex(SHA-256(minified body))):X-TIMESTAMP``,
  base64.
- ``responseCode`` is the HTTP status, the service code and a case code (``2002400``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ACCESS_TOKEN_SERVICE = "73"  # noqa: S105 (a service code, not a secret)
INQUIRY_SERVICE = "24"
PAYMENT_SERVICE = "25"
STATUS_SERVICE = "26"

PARTNER_SERVICE_ID_LENGTH = 8
TIMESTAMP_TOLERANCE_SECONDS = 300
TOKEN_LIFETIME_SECONDS = 900
MIN_RSA_BITS = 2048

# YYYY-MM-DDTHH:mm:ss with an offset (+07:00) or Z, optionally with milliseconds.
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)$")


@dataclass(frozen=True)
class Outcome:
    """A SNAP answer's code: HTTP status, case code and the standard's message."""

    http_status: int
    case: str
    message: str

    def code(self, service: str) -> str:
        return f"{self.http_status}{service}{self.case}"


SUCCESSFUL = Outcome(200, "00", "Successful")
BAD_REQUEST = Outcome(400, "00", "Bad Request")
INVALID_FIELD_FORMAT = Outcome(400, "01", "Invalid Field Format")
INVALID_MANDATORY_FIELD = Outcome(400, "02", "Invalid Mandatory Field")
UNAUTHORIZED = Outcome(401, "00", "Unauthorized.")  # the standard's "Unauthorized. [reason]"
INVALID_TOKEN = Outcome(401, "01", "Invalid Token (B2B)")
TRANSACTION_NOT_FOUND = Outcome(404, "01", "Transaction Not Found")
BILL_NOT_FOUND = Outcome(404, "12", "Invalid Bill/Virtual Account")
INVALID_AMOUNT = Outcome(404, "13", "Invalid Amount")
PAID_BILL = Outcome(404, "14", "Paid Bill")
INCONSISTENT_REQUEST = Outcome(404, "18", "Inconsistent Request")
CONFLICT = Outcome(409, "00", "Conflict")
TOO_MANY_REQUESTS = Outcome(429, "00", "Too Many Requests")
GENERAL_ERROR = Outcome(500, "00", "General Error")
# The database down or restarting: the bank should ask again (the status service, or the
# same request: payments are idempotent on paymentRequestId).
TIMEOUT = Outcome(504, "00", "Timeout")


def partner_service_id_padded(raw: str) -> str | None:
    """``"88899"`` or ``"   88899"`` -> ``"   88899"``: the standard's 8 characters,
    digits left-padded with spaces; None unless 1 to 8 digits."""
    digits = raw.strip(" ")
    if not (1 <= len(digits) <= PARTNER_SERVICE_ID_LENGTH):
        return None
    if not (digits.isascii() and digits.isdigit()):
        return None
    return digits.rjust(PARTNER_SERVICE_ID_LENGTH)


def timestamp_parse(text: str) -> datetime.datetime | None:
    """An ``X-TIMESTAMP`` as an aware moment, or None when it is not the standard's
    ISO 8601 form with an offset."""
    if not _TIMESTAMP.match(text):
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def timestamp_fresh(moment: datetime.datetime, now: datetime.datetime) -> bool:
    return abs((now - moment).total_seconds()) <= TIMESTAMP_TOLERANCE_SECONDS


# A JSON string (kept whole, escapes included) or a run of JSON whitespace (dropped).
_STRING_OR_SPACE = re.compile(rb'("[^"\\]*(?:\\.[^"\\]*)*")|[ \t\r\n]+', re.DOTALL)


def minified(body: bytes) -> bytes:
    """The body with the whitespace between JSON tokens removed and strings kept as
    sent: what a bank hashes is its own bytes, minified, never a re-serialisation (which
    could reorder keys or change escapes)."""
    return _STRING_OR_SPACE.sub(lambda match: match.group(1) or b"", body)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(minified(body)).hexdigest().lower()


def token_string_to_sign(client_key: str, timestamp: str) -> bytes:
    return f"{client_key}|{timestamp}".encode()


def transaction_string_to_sign(
    method: str, path: str, access_token: str, body: bytes, timestamp: str
) -> bytes:
    return f"{method.upper()}:{path}:{access_token}:{body_digest(body)}:{timestamp}".encode()


def hmac_signature(secret: str, string_to_sign: bytes) -> str:
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha512).digest()
    return base64.b64encode(digest).decode()


def hmac_matches(secrets: Iterable[str], string_to_sign: bytes, signature: str) -> bool:
    """Any live secret (rotation); every comparison runs, whichever matched."""
    matched = False
    for secret in secrets:
        expected = hmac_signature(secret, string_to_sign)
        matched |= hmac.compare_digest(expected.encode(), signature.strip().encode())
    return matched


class PublicKeyError(ValueError):
    pass


def public_key_load(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key of at least 2048 bits from PEM (SubjectPublicKeyInfo or
    PKCS#1); PublicKeyError otherwise."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError) as error:
        raise PublicKeyError("not a PEM public key") from error
    if not isinstance(key, rsa.RSAPublicKey):
        raise PublicKeyError("not an RSA key")
    if key.key_size < MIN_RSA_BITS:
        raise PublicKeyError("shorter than 2048 bits")
    return key


def rsa_signature_valid(public_pem: str, string_to_sign: bytes, signature: str) -> bool:
    try:
        key = public_key_load(public_pem)
        raw = base64.b64decode(signature.strip(), validate=True)
        key.verify(raw, string_to_sign, padding.PKCS1v15(), hashes.SHA256())
    except (PublicKeyError, InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def rsa_signature(private_pem: str, string_to_sign: bytes) -> str:
    """What a bank computes with its private key (the reference client and tests)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PublicKeyError("not an RSA key")
    return base64.b64encode(key.sign(string_to_sign, padding.PKCS1v15(), hashes.SHA256())).decode()


def amount_text(rupiah: int) -> str:
    """SNAP amounts: ``{"value": "110400.00", "currency": "IDR"}``'s value."""
    return f"{rupiah}.00"


_AMOUNT = re.compile(r"^\d{1,16}\.\d{2}$")


def amount_parse(value: str) -> int | None:
    """Whole rupiah from ``"110400.00"``; None for another form or a fraction of a
    rupiah."""
    if not _AMOUNT.match(value):
        return None
    whole, cents = value.split(".")
    return int(whole) if cents == "00" else None


# A bank's side: the headers it sends (the reference client, tests and docs) -------------


def key_pair_new() -> tuple[str, str]:
    """(private PEM, public PEM) of a new 2048-bit RSA key: what a bank registers with
    its channel (the demo channel, benchmarks and tests)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def token_request_headers(*, client_key: str, private_pem: str, timestamp: str) -> dict[str, str]:
    signature = rsa_signature(private_pem, token_string_to_sign(client_key, timestamp))
    return {
        "Content-Type": "application/json",
        "X-CLIENT-KEY": client_key,
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": signature,
    }


def transaction_request_headers(
    *,
    method: str,
    path: str,
    access_token: str,
    body: bytes,
    timestamp: str,
    client_secret: str,
    partner_id: str,
    external_id: str,
    channel_id: str = "95221",
) -> dict[str, str]:
    string_to_sign = transaction_string_to_sign(method, path, access_token, body, timestamp)
    return {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {access_token}",
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": hmac_signature(client_secret, string_to_sign),
        "X-PARTNER-ID": partner_id,
        "X-EXTERNAL-ID": external_id,
        "CHANNEL-ID": channel_id,
    }


def timestamp_now(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone(datetime.timedelta(hours=7))).isoformat(
        timespec="seconds"
    )
