"""Reactions to other apps' events: recompute fees soon after payments change, and
forfeit a terminated agent's unpaid statements."""

from __future__ import annotations

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
from core.dates import period_of
from enrollments.signals import payments_changed
from fees.models import FeeStatement, PendingRecompute, StatementStatus

logger = logging.getLogger(__name__)


@receiver(payments_changed, dispatch_uid="fees-recompute-after-payments")
def recompute_after_payments(
    sender: Any, branch_moments: set[tuple[int, datetime.datetime]], **kwargs: Any
) -> None:
    """Debounced: the first change in a branch's month schedules its recompute a little
    later, after commit; changes until then ride along with it. Redis down costs the
    debounce (every change schedules) and, when the broker is down too, the scheduling:
    the branch-month is written to ``PendingRecompute`` and queued once it is back."""
    zones = dict(
        Branch.objects.filter(pk__in={b for b, _ in branch_moments}).values_list("pk", "time_zone")
    )
    scopes = {
        (branch_id, period_of(moment.astimezone(Branch(time_zone=zones[branch_id]).zone).date()))
        for branch_id, moment in branch_moments
        if branch_id in zones
    }
    delay = settings.FEES_RECOMPUTE_DEBOUNCE_SECONDS
    for branch_id, period in sorted(scopes):
        try:
            first = cache.add(f"fees-recompute:{branch_id}:{period}", 1, timeout=delay)
        except Exception as exc:  # the cache client raises its own connection errors
            logger.warning("fees: cache unreachable", extra={"error": type(exc).__name__})
            first = True
        if first:
            transaction.on_commit(partial(_queue_recompute, branch_id, period, delay))


def _queue_recompute(branch_id: int, period: str, delay: int) -> None:
    from fees.tasks import recompute_branch

    try:
        recompute_branch.apply_async((branch_id, period), countdown=delay)
    except Exception as exc:  # kombu's OperationalError, or the transport's own
        logger.warning(
            "fees: broker unreachable, recompute kept for later",
            extra={"branch": branch_id, "period": period, "error": type(exc).__name__},
        )
        PendingRecompute.objects.get_or_create(branch_id=branch_id, period=period)


@receiver(agent_terminated, dispatch_uid="fees-forfeit-on-termination")
def forfeit_unpaid(sender: Any, agent: Agent, **kwargs: Any) -> None:
    FeeStatement.objects.filter(
        agent=agent, status__in=[StatementStatus.OPEN, StatementStatus.APPROVED]
    ).update(status=StatementStatus.FORFEITED)
