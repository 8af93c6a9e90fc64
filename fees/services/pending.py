"""Requests for fee recomputes: written with the payment that causes them, cleared by
the recompute that answers them (``fees_recompute_branch``), queued again when
overdue. Losing a task (a killed worker, a broker down or restarted) therefore delays a
recompute by minutes; it never loses it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from fees.models import PendingRecompute


def recomputes_request(*, scopes: Iterable[tuple[int, str]]) -> None:
    """One row per (branch id, period), inside the caller's transaction."""
    PendingRecompute.objects.bulk_create(
        PendingRecompute(branch_id=branch_id, period=period)
        for branch_id, period in sorted(set(scopes))
    )


def recomputes_claim_overdue(*, now: datetime.datetime | None = None) -> list[tuple[int, str]]:
    """The branch-months with a request neither answered nor queued again within
    ``FEES_RECOMPUTE_OVERDUE_SECONDS``; they are marked queued now, so the next call
    leaves them alone for as long again."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.FEES_RECOMPUTE_OVERDUE_SECONDS)
    overdue = PendingRecompute.objects.filter(
        Q(queued_at__isnull=True, created_at__lt=cutoff) | Q(queued_at__lt=cutoff)
    )
    scopes = sorted(set(overdue.values_list("branch_id", "period")))
    for branch_id, period in scopes:
        PendingRecompute.objects.filter(branch_id=branch_id, period=period).update(queued_at=now)
    return scopes
