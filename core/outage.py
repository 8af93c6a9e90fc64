"""Redis seen down by this process. The cache, the throttle and the broker are one Redis:
once a call to it has failed, the other calls of the same request (and of the next few
requests in this process) skip it at once instead of each waiting out its own timeout.
What they would have done is kept elsewhere (recorded requests, the outbox) and done
once Redis answers again."""

from __future__ import annotations

import time

from django.conf import settings

_down_until = 0.0


def redis_failed() -> None:
    """A call to Redis failed (refused, or timed out): skip it for a few seconds."""
    global _down_until
    _down_until = time.time() + settings.REDIS_OUTAGE_SKIP_SECONDS


def redis_recently_failed() -> bool:
    return time.time() < _down_until


def reset() -> None:
    global _down_until
    _down_until = 0.0
