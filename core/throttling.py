"""Attempt counting in the cache, atomic across processes when the cache is Redis.

Each attempt takes a slot with one atomic increment *before* the work it guards, so N
concurrent attempts against a limit of L let exactly L through, never more. Windows are
fixed (aligned to the epoch), so Retry-After is exact: the seconds left in the window.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    count: int
    retry_after: int


def _cache_key(scope: str, key: str, window: int, now: float) -> str:
    # Hashed: the key may be a phone number, which has no place in the cache's keys.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}:{int(now // window)}"


def attempt_take(
    *, scope: str, key: str, limit: int, window: int, now: float | None = None
) -> Attempt:
    now = time.time() if now is None else now
    cache_key = _cache_key(scope, key, window, now)
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 0, timeout=window + 1)
        count = cache.incr(cache_key)
    window_end = (int(now // window) + 1) * window
    return Attempt(
        allowed=count <= limit, count=count, retry_after=max(1, math.ceil(window_end - now))
    )


def attempts_forget(*, scope: str, key: str, window: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    cache.delete(_cache_key(scope, key, window, now))
