"""The staff dashboard: where a branch, a region or the nation stands against its
targets today, as numbers and server-rendered charts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agents.models import Branch
from core.models import Province
from tallies import charts, pace, selectors

BEHIND, AHEAD = "#9e2a2b", "#0b6e4f"
# The years a dashboard may be asked for; any other ?year= is a page that does not exist.
MIN_YEAR, MAX_YEAR = 2000, 2100


def dashboard(request: HttpRequest, admin_context: dict[str, Any]) -> TemplateResponse:
    if not selectors.tallies_viewable_by(request.user):
        raise PermissionDenied
    code = request.GET.get("code", "")
    year_sent = request.GET.get("year", "")
    if year_sent and not (year_sent.isdigit() and MIN_YEAR <= int(year_sent) <= MAX_YEAR):
        raise Http404
    year = int(year_sent or timezone.localdate().year)
    scope = selectors.dashboard_scope(
        request.user,
        level=request.GET.get("level", "nation"),
        code=code,
        nation_title=_("All branches you can see"),
    )
    if scope is None:
        raise Http404
    level, title = scope.level, scope.title
    standings = selectors.branch_standings(branches=scope.branches, year=year)
    total = selectors.roll_up(standings, code=code or "ID", name=title, year=year)
    as_of = total.as_of or timezone.localdate()
    ranking = sorted(standings, key=lambda s: s.realisation_pct or 0, reverse=True)
    cohorts = selectors.cohorts_by_month(branches=scope.branches, year=year)
    charts_of_page = {
        "progress_chart": _progress_chart(scope.branches, year, total, as_of),
        "ranking_chart": _ranking_chart(ranking, as_of),
        "status_chart": _status_chart(total),
        "cohort_chart": _cohort_chart(cohorts),
    }
    context = {
        **admin_context,
        "title": _("Dashboard: %(name)s") % {"name": title},
        "level": level,
        "code": code,
        "year": year,
        "total": total,
        "standings": ranking,
        "as_of": as_of,
        "computed_at": total.computed_at,
        "missing_labour_force": list(
            Province.objects.filter(code__in=total.provinces_without_labour_force)
            .order_by("name")
            .values_list("name", flat=True)
        ),
        "cohort_chart_empty": not cohorts,
        "behind": (total.realisation_pct or 0) < pace.expected_pct(as_of),
        # Built from escaped parts (tallies/charts.py).
        **{name: mark_safe(svg) for name, svg in charts_of_page.items()},  # noqa: S308
        "regions": selectors.regions_fully_visible(request.user),
        "branches": selectors.visible_branches(request.user).order_by("code"),
    }
    return TemplateResponse(request, "admin/tallies/dashboard.html", context)


def _progress_chart(
    branches: QuerySet[Branch], year: int, total: selectors.Standing, as_of: datetime.date
) -> str:
    days = pace.days_in_year(year)
    target = total.target_new_participants
    return charts.progress_chart(
        title=_("New participants: realised, expected and target"),
        year_days=days,
        top=max(target, total.new_participants),
        series=[
            charts.Series(
                _("Realised"),
                charts.COLOURS["realised"],
                selectors.weekly_progress(branches=branches, year=year, as_of=as_of),
            ),
            charts.Series(
                _("Expected (pro rata)"),
                charts.COLOURS["expected"],
                [(0, 0.0), (days, float(target))],
                dashed=True,
            ),
            charts.Series(
                _("Target"), charts.COLOURS["target"], [(0, float(target)), (days, float(target))]
            ),
        ],
    )


def _ranking_chart(ranking: list[selectors.Standing], as_of: datetime.date) -> str:
    expected = float(pace.expected_pct(as_of))
    return charts.bar_chart(
        title=_("Branches by realisation (percent) against the expected pace"),
        unit="%",
        marker=expected,
        bars=[
            (
                f"{s.code} {s.name}",
                float(s.realisation_pct or 0),
                AHEAD if float(s.realisation_pct or 0) >= expected else BEHIND,
            )
            for s in ranking
        ],
    )


def _status_chart(total: selectors.Standing) -> str:
    return charts.bar_chart(
        title=_("Participants: active and non-active"),
        bars=[
            (_("Active"), float(total.active_participants), AHEAD),
            (_("Non-active"), float(total.non_active_participants), BEHIND),
        ],
    )


def _cohort_chart(cohorts: list[selectors.CohortTotal]) -> str:
    return charts.cohort_chart(
        title=_("Retention by month of registration (percent of the workers registered)"),
        series=[
            _("Paid at least once"),
            _("Active after 3 months"),
            _("Active after 6 months"),
            _("Active after 12 months"),
        ],
        registered_label=_("Under each month: workers registered."),
        cohorts=[
            charts.Cohort(
                label=f"{charts.MONTHS[row.cohort.month - 1]} {row.cohort:%y}",
                registered=row.registered,
                shares=[
                    None if part is None else float(pace.percent(part, row.registered) or 0)
                    for part in (row.paid_once, row.active_3, row.active_6, row.active_12)
                ],
            )
            for row in cohorts
        ],
    )
