"""Daily tallies, recomputed set-based: for each time zone in use, one SELECT that
counts every branch's day with correlated aggregates, one GROUP BY for the stock of
participants, and one upsert. Idempotent (a
rerun rewrites the same numbers), serialised by an advisory lock, one pass per day.

The same pass stores the retention cohorts (``retention_recompute``): one SELECT per
time zone, then one upsert per table."""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, Window
from django.db.models.functions import Cast, Coalesce, ExtractDay, ExtractMonth, ExtractYear
from django.utils import timezone

from agents.models import Agent, AgentStatus, Branch
from agents.selectors import time_zones_in_use
from core.db import advisory_xact_lock
from enrollments import coverage
from enrollments.models import Participant, PaymentLine, Registration
from enrollments.selectors import agent_worked
from tallies.models import RETENTION_MONTHS, AgentRetentionCohort, DailyTally, RetentionCohort

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


def tallies_recompute(*, day: datetime.date, retention: bool = True) -> int:
    """Every branch's tally for ``day`` in its own calendar, and (unless ``retention``
    is false) every retention cohort as of now. Returns the daily rows written."""
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
    if retention:
        retention_recompute(now=now)
    return written


def tallies_backfill(*, first: datetime.date, last: datetime.date, progress: object = None) -> int:
    """One pass per day, oldest first; the retention cohorts once, at the end (they are
    figures as of now, whatever the day)."""
    written, day = 0, first
    while day <= last:
        written += tallies_recompute(day=day, retention=day == last)
        if progress is not None:
            progress(day)  # type: ignore[operator]
        day += datetime.timedelta(days=1)
    return written


# Retention ------------------------------------------------------------------------------
#
# A cohort is the month of ``Registration.created_at`` in the branch's calendar: the
# moment the registration reached the server, as the daily tallies count new
# registrations, so a cohort's "registered" is the sum of its month's daily
# ``new_registrations`` and a closed month's cohort does not grow when a phone synchronises
# old captures late.
#
# "Active k months after registration" is enrollments' status rule (enrollments/coverage.py,
# ``status_on``) applied on D = add_months(registration day, k), to the paid-through date
# the participant had at the end of D: the payment lines that stand today (reversed ones
# never count) paid on or before D, replayed in (paid_at, id) order as reversals replay
# them. Active when that paid-through month is at most LAPSE_MONTHS months before D's.
#
# The replay is closed-form, so it runs as one set-based query. With months counted as
# integers (year * 12 + month - 1), a line j paid in month M_j for m_j months, and S_j the
# months paid by lines 1..j, coverage_of gives the last covered month
#     e_j = max(M_j + m_j - 1, e_(j-1) + m_j)  =  S_j + max over i <= j of (M_i - 1 - S_(i-1))
# (a max-plus recurrence unrolled). e only grows with j, so the paid-through month on D is
# MAX(M_i - 1 - S_(i-1)) + SUM(m_i) over the lines paid on or before D: one window for
# S_(i-1), then conditional aggregates per participant. Days compare as month * 32 + day
# of month; add_months' clamping to a shorter month's end never changes the comparison
# (a payment's day of month is never past its month's end).
#
# A cohort's figure at k months is known once the k-month day of every member has passed,
# that is from the first day of the month after (cohort month + k) in the branch's
# calendar; before that it is NULL, not 0. "Paid at least once" counts standing lines.

# Day keys: month index * DAY_KEY + day of month, increasing with the date.
DAY_KEY = 32

_RETENTION_SQL = """
WITH regs AS ({regs}), lines AS ({lines}),
members AS (
    SELECT r.branch_id, r.agent_id, r.reg_month,
           COUNT(l.participant_id) AS payments,
           {ends}
    FROM regs r LEFT JOIN lines l ON l.participant_id = r.participant_id
    GROUP BY r.participant_id, r.branch_id, r.agent_id, r.reg_month
)
SELECT branch_id, agent_id, reg_month, COUNT(*) AS registered,
       SUM(CASE WHEN payments > 0 THEN 1 ELSE 0 END) AS paid_once,
       {actives}
FROM members
GROUP BY branch_id, agent_id, reg_month
"""
# A line paid on or before the k-month day: day keys, k months = k * DAY_KEY.
_PAID_BY = "l.paid_key <= r.reg_key + {span}"
_END = (
    "MAX(CASE WHEN {paid_by} THEN l.paid_month - 1 - l.months_so_far + l.months END)"
    " + SUM(CASE WHEN {paid_by} THEN l.months END) AS end_{k}"
)
# %s: the local month index of today, one per k.
_ACTIVE = (
    "CASE WHEN reg_month + {k} < %s"
    " THEN SUM(CASE WHEN end_{k} >= reg_month + {k} - {lapse} THEN 1 ELSE 0 END) END AS active_{k}"
)
FIGURES = ("registered", "paid_once", *(f"active_{k}" for k in RETENTION_MONTHS))


def _month_index(field: str, zone: zoneinfo.ZoneInfo) -> Any:
    # An integer: PostgreSQL's EXTRACT gives numerics, and these keys are computed and
    # compared for every payment line and every k.
    return Cast(
        ExtractYear(field, tzinfo=zone) * 12 + ExtractMonth(field, tzinfo=zone) - 1,
        IntegerField(),
    )


def _day_key(field: str, zone: zoneinfo.ZoneInfo) -> Any:
    return Cast(
        _month_index(field, zone) * DAY_KEY + ExtractDay(field, tzinfo=zone), IntegerField()
    )


def _retention_sql(zone_name: str, today: datetime.date) -> tuple[str, list[Any]]:
    zone = zoneinfo.ZoneInfo(zone_name)
    regs = (
        Registration.objects.filter(branch__time_zone=zone_name)
        .order_by()
        .annotate(
            reg_month=_month_index("created_at", zone),
            reg_key=_day_key("created_at", zone),
        )
        .values("participant_id", "branch_id", "agent_id", "reg_month", "reg_key")
    )
    lines = (
        PaymentLine.objects.filter(branch__time_zone=zone_name, reversed_at__isnull=True)
        .order_by()
        .annotate(
            paid_month=_month_index("paid_at", zone),
            paid_key=_day_key("paid_at", zone),
            months_so_far=Window(
                Sum("months"),
                partition_by=[F("participant_id")],
                order_by=[F("paid_at").asc(), F("id").asc()],
            ),
        )
        .values("participant_id", "months", "paid_month", "paid_key", "months_so_far")
    )
    regs_sql, regs_params = regs.query.sql_with_params()
    lines_sql, lines_params = lines.query.sql_with_params()
    ends = ",\n           ".join(
        _END.format(paid_by=_PAID_BY.format(span=k * DAY_KEY), k=k) for k in RETENTION_MONTHS
    )
    actives = ",\n       ".join(
        _ACTIVE.format(k=k, lapse=coverage.LAPSE_MONTHS) for k in RETENTION_MONTHS
    )
    sql = _RETENTION_SQL.format(regs=regs_sql, lines=lines_sql, ends=ends, actives=actives)
    today_month = today.year * 12 + today.month - 1
    return sql, [*regs_params, *lines_params, *([today_month] * len(RETENTION_MONTHS))]


def _cohort_of(month_index: int) -> datetime.date:
    year, month = divmod(int(month_index), 12)
    return datetime.date(year, month + 1, 1)


def retention_recompute(*, now: datetime.datetime | None = None) -> int:
    """Every cohort of every agent and branch, as of ``now`` (default: now) in each
    branch's calendar: one SELECT per time zone in use, the branch rows summed from the
    agents', one upsert per table, and the rows of cohorts that no longer exist removed.
    Idempotent. Returns the agent rows written."""
    now = now or timezone.now()
    written = 0
    with transaction.atomic():
        advisory_xact_lock("tallies:retention")
        for zone_name in time_zones_in_use():
            today = now.astimezone(zoneinfo.ZoneInfo(zone_name)).date()
            sql, params = _retention_sql(zone_name, today)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                found = cursor.fetchall()
            agent_rows: list[AgentRetentionCohort] = []
            branch_rows: dict[tuple[int, datetime.date], dict[str, int | None]] = {}
            for branch_id, agent_id, month_index, *figures in found:
                values = dict(
                    zip(FIGURES, (None if f is None else int(f) for f in figures), strict=True)
                )
                cohort = _cohort_of(month_index)
                agent_rows.append(
                    AgentRetentionCohort(
                        agent_id=agent_id,
                        branch_id=branch_id,
                        cohort=cohort,
                        computed_at=now,
                        **values,
                    )
                )
                total = branch_rows.setdefault((branch_id, cohort), dict.fromkeys(FIGURES, 0))
                for name, value in values.items():
                    # Null (not yet known) for one agent is null for the whole cohort.
                    known = total[name]
                    total[name] = None if value is None or known is None else known + value
            AgentRetentionCohort.objects.bulk_create(
                agent_rows,
                batch_size=2_000,
                update_conflicts=True,
                unique_fields=["agent", "branch", "cohort"],
                update_fields=[*FIGURES, "computed_at"],
            )
            RetentionCohort.objects.bulk_create(
                [
                    RetentionCohort(branch_id=branch_id, cohort=cohort, computed_at=now, **values)
                    for (branch_id, cohort), values in branch_rows.items()
                ],
                batch_size=2_000,
                update_conflicts=True,
                unique_fields=["branch", "cohort"],
                update_fields=[*FIGURES, "computed_at"],
            )
            for model in (AgentRetentionCohort, RetentionCohort):
                model.objects.filter(branch__time_zone=zone_name).exclude(computed_at=now).delete()
            written += len(agent_rows)
    logger.info("retention recomputed", extra={"rows": written})
    return written
