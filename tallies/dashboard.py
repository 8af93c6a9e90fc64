"""The staff dashboard: where a branch, a region or the nation stands against its
targets today, as numbers and server-rendered charts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from agents.models import Region
from core.models import Province
from tallies import charts, pace, selectors
from tallies.models import DailyTally

BEHIND, AHEAD = "#9e2a2b", "#0b6e4f"


def _progress_points(
    branch_ids: list[int], year: int, as_of: datetime.date
) -> list[tuple[int, float]]:
    """Cumulative new participants, week by week."""
    daily = (
        DailyTally.objects.filter(branch_id__in=branch_ids, date__year=year, date__lte=as_of)
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


def dashboard(request: HttpRequest, admin_context: dict[str, Any]) -> TemplateResponse:
    if not selectors.tallies_viewable_by(request.user):
        raise PermissionDenied
    level = request.GET.get("level", "nation")
    code = request.GET.get("code", "")
    year = int(request.GET.get("year") or timezone.localdate().year)
    branches = selectors.visible_branches(request.user)
    if level == "branch":
        scope = branches.filter(code=code)
        if not scope.exists():
            raise Http404
        title = scope.get().name
    elif level == "region":
        # A region's page shows the whole region, or nothing: its name must not stand
        # over the part of it a branch's staff may see.
        region = Region.objects.filter(code=code).first()
        if region is None or not selectors.region_fully_visible(request.user, code=code):
            raise Http404
        scope = branches.filter(region__code=code)
        title = region.name
    else:
        level, scope, title = "nation", branches, _("All branches you can see")

    standings = selectors.branch_standings(branches=scope, year=year)
    total = selectors.roll_up(standings, code=code or "ID", name=title, year=year)
    as_of = total.as_of or timezone.localdate()
    days = pace.days_in_year(year)
    target = total.target_new_participants
    progress = charts.progress_chart(
        title=_("New participants: realised, expected and target"),
        year_days=days,
        top=max(target, total.new_participants),
        series=[
            charts.Series(
                _("Realised"),
                charts.COLOURS["realised"],
                _progress_points([b.pk for b in scope], year, as_of),
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
    expected = float(pace.expected_pct(as_of))
    ranking = sorted(standings, key=lambda s: s.realisation_pct or 0, reverse=True)
    ranking_chart = charts.bar_chart(
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
    status_chart = charts.bar_chart(
        title=_("Participants: active and non-active"),
        bars=[
            (_("Active"), float(total.active_participants), AHEAD),
            (_("Non-active"), float(total.non_active_participants), BEHIND),
        ],
    )
    regions = [
        region
        for region in Region.objects.filter(branches__in=branches).distinct().order_by("code")
        if selectors.region_fully_visible(request.user, code=region.code)
    ]
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
        "behind": (total.realisation_pct or 0) < pace.expected_pct(as_of),
        "progress_chart": mark_safe(progress),  # noqa: S308 (built from escaped parts)
        "ranking_chart": mark_safe(ranking_chart),  # noqa: S308
        "status_chart": mark_safe(status_chart),  # noqa: S308
        "regions": regions,
        "branches": branches.order_by("code"),
    }
    return TemplateResponse(request, "admin/tallies/dashboard.html", context)
