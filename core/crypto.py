"""Encryption at rest and keyed hashing (NIKs, partners' signing secrets).

Values are stored encrypted with Fernet (AES-128-CBC + HMAC). ``ENCRYPTION_KEYS``
lists the keys, newest first: new values use the first, any of them decrypts, so a new
key is added in front and old rows are re-encrypted at leisure. Lookups use an HMAC-SHA256
of the NIK under ``NIK_HASH_KEY`` (a database index cannot use the ciphertext).
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["InvalidToken", "decrypt", "encrypt", "keyed_digest", "reencrypt"]


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _current().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same plaintext under the newest key."""
    return _current().rotate(token.encode()).decode()


def keyed_digest(value: str) -> str:
    key = settings.NIK_HASH_KEY.encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
