from __future__ import annotations

import logging

from celery import group, shared_task
from django.utils import timezone

from agents.models import Branch
from core.dates import period_of
from fees import services
from fees.errors import NoSchemeError

logger = logging.getLogger(__name__)


@shared_task(name="fees.recompute_branch")
def recompute_branch(branch_id: int, period: str) -> int:
    try:
        return services.fees_recompute_branch(branch_id=branch_id, period=period).inserted
    except NoSchemeError:
        logger.warning("no fee scheme in force", extra={"period": period})
        return 0


@shared_task(name="fees.recompute_period")
def recompute_period(period: str) -> int:
    """Fans the month out, one task per branch."""
    branch_ids = list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    group(recompute_branch.s(branch_id, period) for branch_id in branch_ids).apply_async()
    return len(branch_ids)


@shared_task(name="fees.recompute_open_month")
def recompute_open_month() -> str:
    """Nightly: the month now open (head office's calendar; a branch a zone ahead that
    has already turned the month is caught by the payment-triggered recomputes)."""
    period = period_of(timezone.localdate())
    recompute_period.delay(period)
    return period


@shared_task(name="fees.deactivate_idle_agents")
def deactivate_idle_agents() -> list[str]:
    return services.idle_agents_deactivate()


@shared_task(name="fees.requeue_pending_recomputes")
def requeue_pending_recomputes() -> int:
    """Every minute: queue again the recomputes requested but not done within
    ``FEES_RECOMPUTE_OVERDUE_SECONDS`` (the broker was down when they were asked for, or
    the worker running them died). Each request stays until a recompute clears it."""
    scopes = services.recomputes_claim_overdue()
    for branch_id, period in scopes:
        recompute_branch.delay(branch_id, period)
    if scopes:
        logger.info("fees: overdue recomputes queued again", extra={"count": len(scopes)})
    return len(scopes)
