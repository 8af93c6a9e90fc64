"""Once Redis has failed, the process skips it for a few seconds: a request waits out
one timeout, not one per use of Redis (throttle, debounce key, broker)."""

import pytest
import time_machine

from core import outage, throttling
from core.throttling import attempt_take


@pytest.fixture
def frozen():
    with time_machine.travel(1_800_000_000, tick=False) as traveller:
        yield traveller


def test_a_failure_is_remembered_for_the_configured_seconds(settings, frozen):
    settings.REDIS_OUTAGE_SKIP_SECONDS = 5
    assert not outage.redis_recently_failed()
    outage.redis_failed()
    assert outage.redis_recently_failed()
    frozen.shift(4.9)
    assert outage.redis_recently_failed()
    frozen.shift(0.2)
    assert not outage.redis_recently_failed()


def test_the_throttle_skips_redis_while_it_is_remembered_down(monkeypatch):
    calls: list[tuple] = []

    def increment(*args: object) -> int:
        calls.append(args)
        return 1

    monkeypatch.setattr(throttling, "_increment", increment)
    outage.redis_failed()
    attempt = attempt_take(scope="t", key="k", limit=5, window=60, fail_open=True)
    assert attempt.allowed and calls == []


def test_the_throttle_counts_again_once_the_outage_is_forgotten(monkeypatch, frozen):
    calls: list[tuple] = []

    def increment(*args: object) -> int:
        calls.append(args)
        return 1

    monkeypatch.setattr(throttling, "_increment", increment)
    outage.redis_failed()
    frozen.shift(60)
    attempt_take(scope="t", key="k", limit=5, window=60, fail_open=True)
    assert len(calls) == 1
