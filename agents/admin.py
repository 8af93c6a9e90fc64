from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agents.models import Branch, Region


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0
    fields = ("code", "name", "time_zone", "is_active")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Region | None = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "branch_count")
    search_fields = ("code", "name")
    inlines = [BranchInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        return super().get_queryset(request).annotate(branch_count=Count("branches"))

    @admin.display(description=_("branches"), ordering="branch_count")
    def branch_count(self, obj: Region) -> int:
        return obj.branch_count  # type: ignore[attr-defined]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "regency", "time_zone", "is_active")
    list_filter = ("region", "time_zone", "is_active")
    search_fields = ("code", "name", "regency__name")
    list_select_related = ("region", "regency")
    autocomplete_fields = ("region", "regency")
