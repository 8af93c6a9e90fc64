"""Reads of the stored tallies: year to date per branch, rolled up to regions and the
nation, with realisation, pace, forecast and coverage from tallies/pace.py."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models.lookups import Exact

from agents.models import Agent, Branch, Region
from agents.selectors import branches_visible_to
from core.dates import first_day, next_period, period_of
from enrollments import coverage
from enrollments.models import Participant, Registration
from fees.models import FeeScheme
from fees.rules import rate_ppm, share_sql
from tallies import pace
from tallies.models import (
    RETENTION_MONTHS,
    AgentRetentionCohort,
    BranchTarget,
    CohortShares,
    DailyTally,
    LabourForce,
    RetentionCohort,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

FLOWS = ("new_registrations", "new_activations", "contributions_received")
SNAPSHOTS = (
    "active_participants",
    "non_active_participants",
    "active_agents",
    "productive_agents",
)


@dataclass
class Standing:
    """Where a branch, a region or the nation stands on ``as_of``."""

    code: str
    name: str
    as_of: datetime.date | None
    # When the oldest of the tallies behind these figures was computed: without the
    # nightly job (or a recompute), today's figures may predate today's work.
    computed_at: datetime.datetime | None = None
    region_code: str = ""
    province_code: str = ""
    target_new_participants: int = 0
    target_contributions: int = 0
    new_participants: int = 0
    new_activations: int = 0
    contributions_received: int = 0
    active_participants: int = 0
    non_active_participants: int = 0
    active_agents: int = 0
    productive_agents: int = 0
    labour_force: int = 0
    # Provinces in scope with no labour force figure: coverage is then unknown, not a
    # share of a partial figure.
    provinces_without_labour_force: list[str] = field(default_factory=list)
    branches: list[Standing] = field(default_factory=list)

    @property
    def realisation_pct(self) -> Decimal | None:
        return pace.realisation_pct(self.new_participants, self.target_new_participants)

    @property
    def contributions_pct(self) -> Decimal | None:
        return pace.realisation_pct(self.contributions_received, self.target_contributions)

    @property
    def expected_pct(self) -> Decimal | None:
        return pace.expected_pct(self.as_of) if self.as_of else None

    @property
    def forecast_year_end(self) -> int | None:
        return pace.forecast_year_end(self.new_participants, self.as_of) if self.as_of else None

    @property
    def coverage_pct(self) -> Decimal | None:
        if self.provinces_without_labour_force:
            return None
        return pace.coverage_pct(self.active_participants, self.labour_force)

    def add(self, other: Standing) -> None:
        for name in (
            "target_new_participants",
            "target_contributions",
            "new_participants",
            "new_activations",
            "contributions_received",
            "active_participants",
            "non_active_participants",
            "active_agents",
            "productive_agents",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.branches.append(other)


def branch_standings(
    *, branches: QuerySet[Branch], year: int, as_of: datetime.date | None = None
) -> list[Standing]:
    """Year to date up to ``as_of`` (default: the latest tally of the year), per branch.
    Four queries whatever the number of branches."""
    tallies = DailyTally.objects.filter(branch__in=branches, date__year=year)
    if as_of is not None:
        tallies = tallies.filter(date__lte=as_of)
    totals = {
        row["branch_id"]: row
        for row in tallies.values("branch_id").annotate(
            last=Max("date"),
            new_participants=Sum("new_registrations"),
            new_activations_total=Sum("new_activations"),
            contributions=Sum("contributions_received"),
        )
    }
    last_days = {branch_id: row["last"] for branch_id, row in totals.items()}
    snapshots = {
        row["branch_id"]: row
        for row in DailyTally.objects.filter(
            branch__in=branches, date__in=set(last_days.values())
        ).values("branch_id", "date", "computed_at", *SNAPSHOTS)
        if last_days.get(row["branch_id"]) == row["date"]
    }
    targets = {
        target.branch_id: target
        for target in BranchTarget.objects.filter(branch__in=branches, year=year)
    }
    standings = []
    for branch in branches.select_related("region", "regency").order_by("code"):
        total = totals.get(branch.pk, {})
        snapshot = snapshots.get(branch.pk, {})
        target = targets.get(branch.pk)
        standings.append(
            Standing(
                code=branch.code,
                name=branch.name,
                as_of=total.get("last"),
                computed_at=snapshot.get("computed_at"),
                region_code=branch.region.code,
                province_code=branch.regency.province_id,
                target_new_participants=target.new_participants if target else 0,
                target_contributions=target.contributions if target else 0,
                new_participants=int(total.get("new_participants") or 0),
                new_activations=int(total.get("new_activations_total") or 0),
                contributions_received=int(total.get("contributions") or 0),
                active_participants=int(snapshot.get("active_participants") or 0),
                non_active_participants=int(snapshot.get("non_active_participants") or 0),
                active_agents=int(snapshot.get("active_agents") or 0),
                productive_agents=int(snapshot.get("productive_agents") or 0),
            )
        )
    return standings


def roll_up(
    standings: list[Standing],
    *,
    code: str,
    name: str,
    year: int,
    with_labour_force: bool = True,
    labour_force: dict[str, int] | None = None,
) -> Standing:
    """Sums branches into a region or the nation; coverage against the labour force of
    the provinces the branches stand in."""
    total = Standing(
        code=code,
        name=name,
        as_of=max((s.as_of for s in standings if s.as_of), default=None),
        computed_at=min((s.computed_at for s in standings if s.computed_at), default=None),
    )
    for standing in standings:
        total.add(standing)
    if with_labour_force:
        provinces = {standing.province_code for standing in standings}
        if labour_force is None:
            labour_force = latest_labour_force(provinces=provinces, year=year)
        total.labour_force = sum(labour_force.get(province, 0) for province in provinces)
        total.provinces_without_labour_force = sorted(provinces - labour_force.keys())
    return total


def latest_labour_force(*, provinces: set[str], year: int) -> dict[str, int]:
    """Each province's latest labour force figure up to ``year``, in one query."""
    figures = (
        LabourForce.objects.filter(province_id__in=provinces, year__lte=year)
        .order_by("province_id", "-year")
        .values_list("province_id", "workers")
    )
    latest: dict[str, int] = {}
    for province_id, workers in figures:
        latest.setdefault(province_id, workers)
    return latest


@dataclass
class Standings:
    """Branch rows and the roll-ups whose every branch is among them: a region's row
    only when all its branches are, the nation's only when every branch is, so that no
    total is a partial sum under a region's or the nation's name."""

    branches: list[Standing]
    regions: list[Standing]
    nation: Standing | None


NATION_CODE = "ID"


def standings_with_roll_ups(
    *, branches: QuerySet[Branch], year: int, as_of: datetime.date | None = None
) -> Standings:
    rows = branch_standings(branches=branches, year=year, as_of=as_of)
    shown = {row.code for row in rows}
    members: dict[str, set[str]] = {}
    for branch_code, region_code in Branch.objects.values_list("code", "region__code"):
        members.setdefault(region_code, set()).add(branch_code)
    labour_force = latest_labour_force(provinces={row.province_code for row in rows}, year=year)
    regions = [
        roll_up(
            [row for row in rows if row.region_code == region.code],
            code=region.code,
            name=region.name,
            year=year,
            labour_force=labour_force,
        )
        for region in Region.objects.filter(code__in=members).order_by("code")
        if members[region.code] <= shown
    ]
    every_branch = set().union(*members.values()) if members else set()
    nation = (
        roll_up(rows, code=NATION_CODE, name="Indonesia", year=year, labour_force=labour_force)
        if rows and every_branch <= shown
        else None
    )
    return Standings(branches=rows, regions=regions, nation=nation)


def tallies_viewable_by(user: User | AnonymousUser) -> bool:
    """The one gate of the tallies, for the API and the dashboard alike: active staff
    holding the view permission (every staff group has it)."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("tallies.view_dailytally")
    )


def region_fully_visible(user: User | AnonymousUser, *, code: str) -> bool:
    """Whether the user sees every branch of the region (and it has some)."""
    region_branches = Branch.objects.filter(region__code=code)
    return (
        region_branches.exists()
        and not region_branches.exclude(pk__in=branches_visible_to(user).values("pk")).exists()
    )


def visible_branches(
    user: User | AnonymousUser, *, region: str | None = None, branch: str | None = None
) -> QuerySet[Branch]:
    branches = branches_visible_to(user)
    if region:
        branches = branches.filter(region__code=region)
    if branch:
        branches = branches.filter(code=branch)
    return branches


@dataclass(frozen=True)
class DashboardScope:
    """What one dashboard page covers: the nation (every branch the user sees), one
    region, or one branch."""

    level: str
    title: str
    branches: QuerySet[Branch]


def dashboard_scope(
    user: User | AnonymousUser, *, level: str, code: str, nation_title: str
) -> DashboardScope | None:
    """The page's scope, or ``None`` when the user may not see it (or it does not
    exist): a branch outside the user's, or a region the user sees only part of, whose
    name must not stand over the part of it a branch's staff may see."""
    branches = visible_branches(user)
    if level == "branch":
        branch = branches.filter(code=code).first()
        if branch is None:
            return None
        return DashboardScope("branch", branch.name, branches.filter(pk=branch.pk))
    if level == "region":
        region = Region.objects.filter(code=code).first()
        if region is None or not region_fully_visible(user, code=code):
            return None
        return DashboardScope("region", region.name, branches.filter(region__code=code))
    return DashboardScope("nation", nation_title, branches)


def regions_fully_visible(user: User | AnonymousUser) -> list[Region]:
    """The regions the user sees whole, for the dashboard's region links."""
    branches = branches_visible_to(user)
    return [
        region
        for region in Region.objects.filter(branches__in=branches).distinct().order_by("code")
        if region_fully_visible(user, code=region.code)
    ]


def weekly_progress(
    *, branches: QuerySet[Branch], year: int, as_of: datetime.date
) -> list[tuple[int, float]]:
    """Cumulative new participants of ``branches`` in ``year`` up to ``as_of``, as
    (day of the year, count) points, one a week and one on ``as_of``."""
    daily = (
        DailyTally.objects.filter(branch__in=branches, date__year=year, date__lte=as_of)
        .values("date")
        .annotate(n=Sum("new_registrations"))
        .order_by("date")
    )
    points, running = [(0, 0.0)], 0
    for row in daily:
        running += row["n"]
        day = pace.day_of_year(row["date"])
        if day % 7 == 0 or row["date"] == as_of:
            points.append((day, float(running)))
    return points


# Retention ------------------------------------------------------------------------------


def branch_cohorts(*, branches: QuerySet[Branch], year: int) -> QuerySet[RetentionCohort]:
    """The branches' cohorts registered in ``year``, by branch code then month."""
    return (
        RetentionCohort.objects.filter(branch__in=branches, cohort__year=year)
        .select_related("branch")
        .order_by("branch__code", "cohort")
    )


def agent_cohorts(*, branches: QuerySet[Branch], year: int) -> QuerySet[AgentRetentionCohort]:
    """The cohorts of the agents' recruits at the branches, registered in ``year``."""
    return (
        AgentRetentionCohort.objects.filter(branch__in=branches, cohort__year=year)
        .select_related("branch", "agent")
        .order_by("branch__code", "agent__code", "cohort")
    )


@dataclass(frozen=True)
class CohortTotal(CohortShares):
    """A month's cohort summed over several branches: the dashboard's scope, a region
    (``code`` and ``name`` are the region's) or the nation. Shares are of the sums."""

    cohort: datetime.date
    registered: int
    paid_once: int
    active_3: int | None
    active_6: int | None
    active_12: int | None
    # When the oldest of the rows summed was computed.
    computed_at: datetime.datetime | None = None
    code: str = ""
    name: str = ""


def _cohort_sums() -> dict[str, Any]:
    """Aggregates that sum stored cohorts. A figure at k months becomes known in each
    branch's own calendar, so near a month's turn one zone may know it and another not
    yet: the sum is known only when every row summed knows it, never a partial sum."""
    sums: dict[str, Any] = {
        "total_registered": Sum("registered"),
        "total_paid_once": Sum("paid_once"),
        "oldest": Min("computed_at"),
    }
    for k in RETENTION_MONTHS:
        figure = f"active_{k}"
        sums[f"total_{figure}"] = Case(
            When(Exact(Count(figure), Count("pk")), then=Sum(figure)),
            default=Value(None),
            output_field=IntegerField(),
        )
    return sums


def _cohort_total(row: dict[str, Any], *, code: str = "", name: str = "") -> CohortTotal:
    return CohortTotal(
        cohort=row["cohort"],
        registered=int(row["total_registered"]),
        paid_once=int(row["total_paid_once"]),
        active_3=row["total_active_3"],
        active_6=row["total_active_6"],
        active_12=row["total_active_12"],
        computed_at=row["oldest"],
        code=code,
        name=name,
    )


def cohorts_by_month(*, branches: QuerySet[Branch], year: int) -> list[CohortTotal]:
    """The scope's cohorts of ``year``, summed per month in one query."""
    rows = (
        RetentionCohort.objects.filter(branch__in=branches, cohort__year=year)
        .values("cohort")
        .annotate(**_cohort_sums())
        .order_by("cohort")
    )
    return [_cohort_total(row) for row in rows]


@dataclass(frozen=True)
class CohortRollUps:
    """The retention roll-ups over ``branches`` (the caller's scope): a region's months
    only when every branch of the region is in it, the nation's only when every branch
    is (``None`` otherwise), as the tallies' roll-ups (``Standings``)."""

    regions: list[CohortTotal]
    nation: list[CohortTotal] | None


def cohort_roll_ups(*, branches: QuerySet[Branch], year: int) -> CohortRollUps:
    """Summed in the database: three queries whatever the number of branches (the
    regions' sums, whether any branch is outside the scope, the nation's sums)."""
    whole_regions = (
        Region.objects.annotate(
            members=Count("branches"),
            in_scope=Count("branches", filter=Q(branches__in=branches.values("pk"))),
        )
        .filter(members__gt=0, members=F("in_scope"))
        .values("pk")
    )
    cohorts = RetentionCohort.objects.filter(cohort__year=year)
    regions = [
        _cohort_total(row, code=row["branch__region__code"], name=row["branch__region__name"])
        for row in cohorts.filter(branch__region__in=whole_regions)
        .values("branch__region__code", "branch__region__name", "cohort")
        .annotate(**_cohort_sums())
        .order_by("branch__region__code", "cohort")
    ]
    nation = None
    if not Branch.objects.exclude(pk__in=branches.values("pk")).exists():
        nation = [
            _cohort_total(row, code=NATION_CODE, name="Indonesia")
            for row in cohorts.values("cohort").annotate(**_cohort_sums()).order_by("cohort")
        ]
    return CohortRollUps(regions=regions, nation=nation)


def agent_recruit_figures(*, agent: Agent, period: str) -> dict[str, Any]:
    """The agent's recruits for ``GET /api/v1/agent/me`` (wired through
    settings.AGENT_FIGURES_PROVIDERS, as the agents app may not import this one):

    - ``active``: recruits active today by the status rule in the agent's branch
      calendar (paid-through on or after ``coverage.lapse_cutoff(today)``);
    - ``retention``: for 3, 6 and 12 months, the agent's stored cohorts pooled: the
      workers of the cohorts whose figure is known, how many of them were active then,
      and the share (one decimal);
    - ``expected_commission_next_month``: if each active recruit pays one month next
      month, the commission that earns under the fee scheme in force on the first day of
      next month: one month's contribution (``Registration.monthly_total``) summed over
      the active recruits, times the scheme's commission rate, rounded once by the fee
      rule (``fees.rules.share_sql``, as a month's commission lines add up); ``None``
      when no scheme is in force then.

    Three queries: the scheme, the recruits, the stored cohorts."""
    today = agent.branch.local_today()
    following = next_period(period_of(today))
    scheme = FeeScheme.objects.in_force(first_day(following)).order_by("-effective_from").first()
    ppm = rate_ppm(scheme.commission_percent) if scheme is not None else 0
    registration, participant = Registration._meta.db_table, Participant._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), {share_sql('COALESCE(SUM(r.monthly_total), 0)')}"  # noqa: S608 (table names and a fixed fragment)
            f" FROM {registration} r JOIN {participant} p ON p.id = r.participant_id"
            " WHERE r.agent_id = %s AND p.paid_through >= %s",
            [ppm, agent.pk, coverage.lapse_cutoff(today)],
        )
        active, expected = cursor.fetchone()
    pooled = AgentRetentionCohort.objects.filter(agent=agent).aggregate(
        computed_at=Max("computed_at"),
        **{
            name: agg
            for k in RETENTION_MONTHS
            for name, agg in (
                (f"still_{k}", Sum(f"active_{k}")),
                (f"registered_{k}", Sum("registered", filter=Q(**{f"active_{k}__isnull": False}))),
            )
        },
    )
    retention = []
    for k in RETENTION_MONTHS:
        registered = int(pooled[f"registered_{k}"] or 0)
        still = int(pooled[f"still_{k}"] or 0)
        retention.append(
            {
                "months": k,
                "registered": registered,
                "active": still,
                "pct": pace.percent(still, registered),
            }
        )
    return {
        "recruits": {
            "active": int(active),
            "retention": retention,
            "retention_computed_at": pooled["computed_at"],
            "next_period": following,
            "expected_commission_next_month": int(expected) if scheme is not None else None,
        }
    }
