from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import path

from agents.admin import BranchScopedAdmin
from core.admin import MoneyColumnsMixin
from tallies.dashboard import dashboard
from tallies.models import (
    AgentRetentionCohort,
    BranchTarget,
    CohortFigures,
    DailyTally,
    LabourForce,
    RetentionCohort,
)


class RecomputedAdmin(BranchScopedAdmin):
    """Figures the tallies recompute writes: seen within the staff's branches, never
    added, changed or deleted by hand, not even by a superuser (the next recompute
    would silently undo it)."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(BranchTarget)
class BranchTargetAdmin(MoneyColumnsMixin, BranchScopedAdmin):
    """Targets are edited here; the admin's History keeps every change."""

    money_fields = ("contributions",)

    list_display = ("branch", "year", "new_participants", "contributions", "perisai_share")
    list_filter = ("year", ("branch", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("branch",)


@admin.register(LabourForce)
class LabourForceAdmin(admin.ModelAdmin):
    list_display = ("province", "year", "workers", "source")
    list_filter = ("year",)
    list_select_related = ("province",)


@admin.register(DailyTally)
class DailyTallyAdmin(MoneyColumnsMixin, RecomputedAdmin):
    money_fields = ("contributions_received",)
    list_display = (
        "date",
        "branch",
        "new_registrations",
        "new_activations",
        "active_participants",
        "non_active_participants",
        "contributions_received",
        "active_agents",
        "productive_agents",
    )
    list_filter = (("branch", admin.RelatedOnlyFieldListFilter),)
    date_hierarchy = "date"
    list_select_related = ("branch",)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="tallies_dashboard",
            ),
            *super().get_urls(),
        ]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        return dashboard(request, self.admin_site.each_context(request))


COHORT_FIGURES = ("registered", "paid_once", "active_3", "active_6", "active_12")


@admin.display(
    description=RetentionCohort._meta.get_field("cohort").verbose_name, ordering="cohort"
)
def cohort_month(obj: CohortFigures) -> str:
    return obj.period


@admin.register(RetentionCohort)
class RetentionCohortAdmin(RecomputedAdmin):
    list_display = (cohort_month, "branch", *COHORT_FIGURES, "computed_at")
    list_filter = (
        ("branch__region", admin.RelatedOnlyFieldListFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "cohort"
    search_fields = ("branch__name", "branch__code")
    list_select_related = ("branch",)
    ordering = ("-cohort", "branch__code")


@admin.register(AgentRetentionCohort)
class AgentRetentionCohortAdmin(RecomputedAdmin):
    list_display = (cohort_month, "agent", "branch", *COHORT_FIGURES, "computed_at")
    list_filter = (
        ("branch__region", admin.RelatedOnlyFieldListFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "cohort"
    search_fields = ("agent__code", "branch__name", "branch__code")
    list_select_related = ("agent", "branch")
    ordering = ("-cohort", "branch__code", "agent__code")
