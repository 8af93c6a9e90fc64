from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import path

from agents.admin import BranchScopedAdmin
from core.admin import MoneyColumnsMixin
from tallies.dashboard import dashboard
from tallies.models import BranchTarget, DailyTally, LabourForce


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
class DailyTallyAdmin(MoneyColumnsMixin, BranchScopedAdmin):
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
    show_full_result_count = False

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
