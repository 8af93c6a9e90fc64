"""Reactions to other apps' events: recompute fees soon after payments change, and
forfeit a terminated agent's unpaid statements."""

from __future__ import annotations

import contextlib
import datetime
import logging
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.dispatch import receiver

from agents.models import Agent, Branch
from agents.signals import agent_terminated
from core import outage
from core.dates import period_of
from enrollments.signals import payments_changed
from fees import services

logger = logging.getLogger(__name__)


@receiver(payments_changed, dispatch_uid="fees-recompute-after-payments")
def recompute_after_payments(
    sender: Any, branch_moments: set[tuple[int, datetime.datetime]], **kwargs: Any
) -> None:
    """The request is written with the payment (``PendingRecompute``), so it survives
    whatever happens to the task. The task is queued after commit, debounced: the first
    change in a branch's month schedules its recompute a little later, and changes until
    then ride along with it. Without a broker (eager mode) every change recomputes at
    once: there is no later for a change to ride along with."""
    zones = dict(
        Branch.objects.filter(pk__in={b for b, _ in branch_moments}).values_list("pk", "time_zone")
    )
    scopes = {
        (branch_id, period_of(moment.astimezone(Branch(time_zone=zones[branch_id]).zone).date()))
        for branch_id, moment in branch_moments
        if branch_id in zones
    }
    services.recomputes_request(scopes=scopes)
    for branch_id, period in sorted(scopes):
        transaction.on_commit(partial(_queue_recompute, branch_id, period))


def _queue_recompute(branch_id: int, period: str) -> None:
    """After commit, so a change that finds the debounce key taken is already visible to
    the task that took it: that task starts no earlier than the key expires."""
    from fees.tasks import recompute_branch

    if recompute_branch.app.conf.task_always_eager:
        recompute_branch.apply_async((branch_id, period))
        return
    delay = settings.FEES_RECOMPUTE_DEBOUNCE_SECONDS
    key = f"fees-recompute:{branch_id}:{period}"
    try:
        if outage.redis_recently_failed():
            raise ConnectionError("Redis failed moments ago")
        if not cache.add(key, 1, timeout=delay):
            return
    except Exception as exc:  # the cache client raises its own connection errors
        outage.redis_failed()
        # The broker is the same Redis: another second spent on it would be wasted. The
        # request is kept (PendingRecompute) and queued again when overdue.
        _kept_for_later(branch_id, period, "cache", exc)
        return
    try:
        recompute_branch.apply_async((branch_id, period), countdown=delay)
    except Exception as exc:  # kombu's OperationalError, or the transport's own
        outage.redis_failed()
        _kept_for_later(branch_id, period, "broker", exc)
        with contextlib.suppress(Exception):
            cache.delete(key)  # the next change tries the broker again


def _kept_for_later(branch_id: int, period: str, service: str, exc: Exception) -> None:
    logger.warning(
        "fees: %s unreachable, recompute kept for later",
        service,
        extra={"branch": branch_id, "period": period, "error": type(exc).__name__},
    )


@receiver(agent_terminated, dispatch_uid="fees-forfeit-on-termination")
def forfeit_unpaid(sender: Any, agent: Agent, **kwargs: Any) -> None:
    services.statements_forfeit(agent=agent)
