"""Daily tallies, recomputed set-based: for each time zone in use, one SELECT that
counts every branch's day with correlated aggregates, one GROUP BY for the stock of
participants, and one upsert. Idempotent (a
rerun rewrites the same numbers), serialised by an advisory lock, one pass per day."""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from typing import Any

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from agents.models import Agent, AgentStatus, Branch
from agents.selectors import time_zones_in_use
from core.db import advisory_xact_lock
from enrollments import coverage
from enrollments.models import Participant, PaymentLine, Registration
from enrollments.selectors import agent_worked
from tallies.models import DailyTally

logger = logging.getLogger(__name__)
COUNTED = (
    "new_registrations",
    "new_activations",
    "active_participants",
    "non_active_participants",
    "contributions_received",
    "active_agents",
    "productive_agents",
)
STOCK = ("active_participants", "non_active_participants")


def _count(queryset: object) -> Coalesce:
    """A correlated COUNT(*) per branch, zero when there is nothing."""
    subquery = Subquery(
        queryset.values("branch").annotate(n=Count("pk")).values("n")[:1],  # type: ignore[attr-defined]
        output_field=IntegerField(),
    )
    return Coalesce(subquery, Value(0))


def _bounds(day: datetime.date, zone: zoneinfo.ZoneInfo) -> tuple[datetime.datetime, ...]:
    start = datetime.datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    month_start = start.replace(day=1)
    return start, end, month_start


def _zone_rows(day: datetime.date, zone_name: str) -> list[dict[str, Any]]:
    zone = zoneinfo.ZoneInfo(zone_name)
    start, end, month_start = _bounds(day, zone)
    cutoff = coverage.lapse_cutoff(day)
    branch = OuterRef("pk")
    agents_then = (
        Agent.objects.filter(branch=branch, activated_at__lt=end)
        .filter(
            Q(deactivated_at__isnull=True)
            | Q(deactivated_at__gte=end)
            | Q(status=AgentStatus.ACTIVE)
        )
        .exclude(status=AgentStatus.TERMINATED, status_changed_at__lt=end)
    )
    contributions = Subquery(
        PaymentLine.objects.filter(
            branch=branch, paid_at__gte=start, paid_at__lt=end, reversed_at__isnull=True
        )
        .values("branch")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    rows = list(
        Branch.objects.filter(time_zone=zone_name)
        .annotate(
            new_registrations=_count(
                Registration.objects.filter(
                    branch=branch, created_at__gte=start, created_at__lt=end
                )
            ),
            new_activations=_count(
                Participant.objects.filter(
                    branch=branch, activated_at__gte=start, activated_at__lt=end
                )
            ),
            contributions_received=Coalesce(contributions, Value(0)),
            active_agents=_count(agents_then),
            # Productive agents are the active agents with some work this month, so
            # they never outnumber the active ones.
            productive_agents=_count(agents_then.filter(agent_worked(month_start, end))),
        )
        .values("pk", *(name for name in COUNTED if name not in STOCK))
    )
    # Active and non-active participants in one scan of the branches' participants,
    # rather than one correlated count each.
    stock = {
        row["branch"]: row
        for row in Participant.objects.filter(branch__time_zone=zone_name, activated_at__lt=end)
        .values("branch")
        .annotate(
            active_participants=Count("pk", filter=Q(paid_through__gte=cutoff)),
            non_active_participants=Count("pk", filter=Q(paid_through__lt=cutoff)),
        )
    }
    for row in rows:
        counted = stock.get(row["pk"], {})
        for name in STOCK:
            row[name] = counted.get(name, 0)
    return rows


def tallies_recompute(*, day: datetime.date) -> int:
    """Every branch's tally for ``day`` in its own calendar. Returns the rows written."""
    now = timezone.now()
    written = 0
    with transaction.atomic():
        advisory_xact_lock(f"tallies:{day}")
        for zone_name in time_zones_in_use():
            rows = _zone_rows(day, zone_name)
            DailyTally.objects.bulk_create(
                [
                    DailyTally(
                        branch_id=row["pk"],
                        date=day,
                        computed_at=now,
                        **{k: row[k] for k in COUNTED},
                    )
                    for row in rows
                ],
                update_conflicts=True,
                unique_fields=["branch", "date"],
                update_fields=[*COUNTED, "computed_at"],
            )
            written += len(rows)
    logger.info("tallies recomputed", extra={"day": str(day), "rows": written})
    return written


def tallies_backfill(*, first: datetime.date, last: datetime.date, progress: object = None) -> int:
    """One pass per day, oldest first."""
    written, day = 0, first
    while day <= last:
        written += tallies_recompute(day=day)
        if progress is not None:
            progress(day)  # type: ignore[operator]
        day += datetime.timedelta(days=1)
    return written
