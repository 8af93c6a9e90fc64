from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from agents.models import Agent, Branch, KantorPerisai, Region, StaffProfile
from core import crypto
from core.dates import period_of
from core.models import Regency

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

MONTH_FIGURES = ("registrations", "activations", "contributions", "fee")


def staff_profile_of(user: User | AnonymousUser) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    return StaffProfile.objects.filter(user=user).select_related("branch", "region").first()


def staff_branch_filter(user: User | AnonymousUser, *, branch_path: str = "") -> Q | None:
    """The filter that scopes rows to what a staff user may see, through the branch
    reached by ``branch_path`` ("" for branches themselves, "branch", "agent__branch").
    None means everything (superuser or head office); anyone without a staff scope
    gets a filter that matches nothing."""
    if getattr(user, "is_superuser", False):
        return None
    profile = staff_profile_of(user)
    if profile is None:
        return Q(pk__in=[])
    prefix = f"{branch_path}__" if branch_path else ""
    if profile.level == StaffProfile.Level.HEAD_OFFICE:
        return None
    if profile.level == StaffProfile.Level.REGION:
        return Q(**{f"{prefix}region_id": profile.region_id})
    return Q(**{f"{prefix}pk": profile.branch_id})


def scoped(
    queryset: QuerySet[Any], user: User | AnonymousUser, *, branch_path: str
) -> QuerySet[Any]:
    scope = staff_branch_filter(user, branch_path=branch_path)
    return queryset if scope is None else queryset.filter(scope)


def staff_regency_filter(user: User | AnonymousUser, *, regency_path: str) -> Q | None:
    """The filter for rows that belong to a place rather than a branch (companies, permit
    checks), through the regency reached by ``regency_path`` ("" for regencies
    themselves, "regency", "company__regency"). A regency belongs to the branch that
    stands in it; a regency with no branch of its own belongs to the branches of its
    province. Region staff see what their branches see; head office and superusers
    everything (None); anyone without a staff scope nothing."""
    scope = staff_branch_filter(user)
    if scope is None:
        return None
    branches = Branch.objects.filter(scope)
    prefix = f"{regency_path}__" if regency_path else ""
    own = Q(**{f"{prefix}pk__in": branches.values("regency_id")})
    branchless_in_province = Q(
        **{f"{prefix}province_id__in": branches.values("regency__province_id")}
    ) & ~Q(**{f"{prefix}pk__in": Branch.objects.values("regency_id")})
    return own | branchless_in_province


def regencies_visible_to(user: User | AnonymousUser) -> QuerySet[Regency]:
    scope = staff_regency_filter(user, regency_path="")
    regencies = Regency.objects.all()
    return regencies if scope is None else regencies.filter(scope)


def branches_visible_to(user: User | AnonymousUser) -> QuerySet[Branch]:
    return scoped(Branch.objects.all(), user, branch_path="")


def regions_visible_to(user: User | AnonymousUser) -> QuerySet[Region]:
    return Region.objects.filter(pk__in=branches_visible_to(user).values("region_id"))


def kantor_perisai_visible_to(user: User | AnonymousUser) -> QuerySet[KantorPerisai]:
    return scoped(KantorPerisai.objects.all(), user, branch_path="branch")


def agents_visible_to(user: User | AnonymousUser) -> QuerySet[Agent]:
    return scoped(Agent.objects.all(), user, branch_path="branch")


def agent_find_by_nik(*, nik: str) -> QuerySet[Agent]:
    """Agents with this NIK, found through the keyed hash (the NIK is not stored)."""
    return Agent.objects.filter(nik_digest=crypto.keyed_digest(nik))


def agent_profile(*, agent_id: int) -> Agent:
    return Agent.objects.select_related("branch", "branch__region", "kantor_perisai").get(
        pk=agent_id
    )


def agent_month_figures(*, agent: Agent) -> dict[str, Any]:
    """This month's figures in the agent's branch calendar. The agents app knows none of
    them itself: apps higher in the stack contribute them through
    settings.AGENT_FIGURES_PROVIDERS, and what nobody provides is zero."""
    period = period_of(agent.branch.local_today())
    figures: dict[str, Any] = dict.fromkeys(MONTH_FIGURES, 0)
    for path in settings.AGENT_FIGURES_PROVIDERS:
        figures.update(import_string(path)(agent=agent, period=period))
    return {"period": period, **figures}


def time_zones_in_use() -> list[str]:
    """The distinct time zones of the branches (no model ordering in the DISTINCT)."""
    return sorted(Branch.objects.order_by().values_list("time_zone", flat=True).distinct())
