"""Calls made at the same moment, as concurrent requests and workers make them.

Each call runs in a thread of its own; the threads wait for one another behind a barrier
and are released together. A thread's database connection is its own (Django keeps one
per thread) and is closed when its call ends, so none is left open for the test
database's teardown. Results come back in the order of the calls.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connections

TIMEOUT = 120.0


def run_together(
    *calls: Callable[[], Any], return_exceptions: bool = False, timeout: float = TIMEOUT
) -> list[Any]:
    """Runs every call at once and returns what each returned, in the order of the calls.

    A call that raised fails the caller with its exception (the first, in the order of the
    calls) once all have ended; with ``return_exceptions`` the exception is returned in the
    call's place instead. A call still running ``timeout`` seconds after the start fails
    the caller."""
    if not calls:
        raise ValueError("nothing to run")
    count = len(calls)
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    raised: list[BaseException | None] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = calls[index]()
        except BaseException as exc:  # handed to the caller below
            raised[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index,), name=f"race-{index}", daemon=True)
        for index in range(count)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    running = [index for index, thread in enumerate(threads) if thread.is_alive()]
    if running:
        raise AssertionError(f"calls {running} of {count} still running after {timeout} s")
    for index, exc in enumerate(raised):
        if exc is None:
            continue
        if not return_exceptions:
            exc.add_note(f"raised by call {index} of {count} run together")
            raise exc
        results[index] = exc
    return results


def race(
    target: Callable[[int], Any],
    count: int,
    *,
    return_exceptions: bool = False,
    timeout: float = TIMEOUT,
) -> list[Any]:
    """``target(0)``, ``target(1)``, ... ``target(count - 1)`` at once: ``run_together``
    for ``count`` calls of one function, each told its index."""
    return run_together(
        *(lambda index=index: target(index) for index in range(count)),
        return_exceptions=return_exceptions,
        timeout=timeout,
    )
