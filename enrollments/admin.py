from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agents.admin import BranchScopedAdmin
from enrollments.models import (
    ContributionRelief,
    IncomeLevel,
    Occupation,
    Participant,
    ProgramRate,
    Registration,
)


class ReadOnlyAdmin(BranchScopedAdmin):
    """Participants and registrations are written by the agents' app through the
    services; staff look, search and filter here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class RegistrationInline(admin.StackedInline):
    model = Registration
    fk_name = "participant"
    extra = 0
    can_delete = False
    fields = (
        "agent",
        "channel",
        "captured_at",
        "created_at",
        "payment_code",
        "declared_income",
        "includes_jht",
        "payment_period_months",
        "monthly_total",
        "amount_due",
        "priced_on",
        "reliefs_applied",
        "consent_method",
        "consent_at",
        "latitude",
        "longitude",
        "location_accuracy_m",
        "warnings",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = (
        "participant_number",
        "full_name",
        "nik_masked",
        "branch",
        "regency",
        "status",
        "created_at",
    )
    list_filter = (("branch", admin.RelatedOnlyFieldListFilter), "status", "sex")
    search_fields = ("participant_number", "full_name", "registration__payment_code")
    search_help_text = _("Participant number, payment code or name.")
    list_select_related = ("branch", "regency")
    fields = (
        "participant_number",
        "full_name",
        "nik_masked",
        "birth_date",
        "sex",
        "phone",
        "regency",
        "address",
        "occupation",
        "branch",
        "status",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [RegistrationInline]
    show_full_result_count = False

    @admin.display(description=_("NIK"))
    def nik_masked(self, obj: Participant) -> str:
        return obj.nik_masked


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = (
        "payment_code",
        "participant_number",
        "participant_name",
        "agent",
        "branch",
        "participant_status",
        "monthly_total",
        "channel",
        "created_at",
    )
    list_filter = (
        ("branch", admin.RelatedOnlyFieldListFilter),
        "participant__status",
        ("agent", admin.RelatedOnlyFieldListFilter),
        "channel",
    )
    search_fields = ("participant__participant_number", "payment_code", "participant__full_name")
    search_help_text = _("Participant number, payment code or name.")
    list_select_related = ("participant", "agent", "branch")
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ("participant",)
    readonly_fields = (
        "participant_number",
        "participant_name",
        "nik_masked",
        "agent",
        "branch",
        "client_uuid",
        "channel",
        "captured_at",
        "created_at",
        "payment_code",
        "declared_income",
        "includes_jht",
        "payment_period_months",
        "contribution_jkk",
        "contribution_jkm",
        "contribution_jht",
        "monthly_total",
        "amount_due",
        "priced_on",
        "reliefs_applied",
        "consent_given",
        "consent_method",
        "consent_at",
        "latitude",
        "longitude",
        "location_accuracy_m",
        "warnings",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("participant", "agent", "branch")

    @admin.display(description=_("participant number"), ordering="participant__participant_number")
    def participant_number(self, obj: Registration) -> str:
        return obj.participant.participant_number

    @admin.display(description=_("name"), ordering="participant__full_name")
    def participant_name(self, obj: Registration) -> str:
        return obj.participant.full_name

    @admin.display(description=_("status"), ordering="participant__status")
    def participant_status(self, obj: Registration) -> str:
        return obj.participant.get_status_display()

    @admin.display(description=_("NIK"))
    def nik_masked(self, obj: Registration) -> str:
        return obj.participant.nik_masked


class EffectiveAdmin(admin.ModelAdmin):
    """Reference versions: a new version is added with its dates; one in force is ended
    by setting its last day, never rewritten (registrations keep the price they got)."""

    list_filter = ["effective_from"]
    date_hierarchy = "effective_from"

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return ()
        return [
            field.name
            for field in obj._meta.concrete_fields
            if field.editable and field.name not in ("id", "effective_to")
        ]


@admin.register(IncomeLevel)
class IncomeLevelAdmin(EffectiveAdmin):
    list_display = ("amount", "effective_from", "effective_to")


@admin.register(ProgramRate)
class ProgramRateAdmin(EffectiveAdmin):
    list_display = ("program", "percent_of_income", "flat_amount", "effective_from", "effective_to")
    list_filter = ["program", "effective_from"]


@admin.register(ContributionRelief)
class ContributionReliefAdmin(EffectiveAdmin):
    list_display = (
        "name",
        "pay_percent",
        "applies_to_jkk",
        "applies_to_jkm",
        "applies_to_jht",
        "excludes_budget_funded",
        "effective_from",
        "effective_to",
    )


@admin.register(Occupation)
class OccupationAdmin(EffectiveAdmin):
    list_display = ("code", "name", "name_en", "effective_from", "effective_to")
    search_fields = ("code", "name", "name_en")
