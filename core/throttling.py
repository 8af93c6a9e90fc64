"""Attempt counting in the cache, atomic across processes when the cache is Redis.

Each attempt takes a slot with one atomic increment *before* the work it guards, so N
concurrent attempts against a limit of L let exactly L through, never more. Windows are
fixed (aligned to the epoch), so Retry-After is exact: the seconds left in the window.

When the cache is unreachable the caller chooses: ``fail_open`` lets the attempt through
(rate limits protect capacity; refusing every permit check because Redis is down would
do more harm), otherwise :class:`~core.exceptions.UnavailableError` (a 503) is raised
(sign-in: without a counter, passwords could be guessed freely).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from core import outage
from core.exceptions import UnavailableError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    allowed: bool
    count: int
    retry_after: int
    # The counter this attempt was taken from ("" when the cache was unreachable), so
    # that attempt_give_back() returns the slot to the same window even if the clock has
    # moved on into the next one.
    cache_key: str = ""


def _cache_key(scope: str, key: str, window: int, now: float) -> str:
    # Hashed: the key may be a phone number, which has no place in the cache's keys.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}:{int(now // window)}"


def attempt_take(
    *,
    scope: str,
    key: str,
    limit: int,
    window: int,
    now: float | None = None,
    fail_open: bool = False,
) -> Attempt:
    now = time.time() if now is None else now
    cache_key = _cache_key(scope, key, window, now)
    try:
        if outage.redis_recently_failed():
            raise ConnectionError("Redis failed moments ago")
        count = _increment(cache_key, window)
    except Exception as exc:  # the cache's client raises its own connection errors
        outage.redis_failed()
        logger.warning(
            "throttling: cache unreachable",
            extra={"scope": scope, "fail_open": fail_open, "error": type(exc).__name__},
        )
        if not fail_open:
            raise UnavailableError() from exc
        count, cache_key = 0, ""
    window_end = (int(now // window) + 1) * window
    return Attempt(
        allowed=count <= limit,
        count=count,
        retry_after=max(1, math.ceil(window_end - now)),
        cache_key=cache_key,
    )


# A counter outlives its window by this much, so that a slot taken just before the window
# ends can still be given back (attempt_give_back) by the request that took it.
_GRACE = 60


def _increment(cache_key: str, window: int) -> int:
    cache.add(cache_key, 0, timeout=window + _GRACE)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 0, timeout=window + _GRACE)
        count = cache.incr(cache_key)
    return count


def attempt_give_back(attempt: Attempt) -> None:
    """Returns the slot an attempt took, for limits that count only some outcomes (the
    sign-in's per-address limit counts failures: a successful sign-in gives its slot
    back). Taking before and giving back after keeps the limit race-safe: concurrent
    attempts each hold a slot while they run, so no more than the limit can be failing
    at once, and only the ones that end well return theirs."""
    if not attempt.cache_key:
        return
    try:
        cache.decr(attempt.cache_key)
    except ValueError:  # the counter has expired: nothing left to give back to
        pass
    except Exception as exc:  # the count expires with its window anyway
        logger.warning("throttling: cache unreachable", extra={"error": type(exc).__name__})


def attempts_forget(*, scope: str, key: str, window: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    try:
        cache.delete(_cache_key(scope, key, window, now))
    except Exception as exc:  # the count expires with its window anyway
        logger.warning("throttling: cache unreachable", extra={"error": type(exc).__name__})
