import csv
import io
import zipfile
from collections import defaultdict
from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents.admin import BranchScopedAdmin, staff_user
from core.admin import MoneyColumnsMixin
from core.exceptions import ApplicationError
from core.money import rupiah
from enrollments.admin import EffectiveAdmin
from fees import selectors, services
from fees.models import (
    FeeLine,
    FeeScheme,
    FeeStatement,
    FlagStatus,
    PendingRecompute,
    RegistrationFlag,
    StatementStatus,
)


class FeeLineInline(admin.TabularInline):
    model = FeeLine
    extra = 0
    can_delete = False
    fields = (
        "kind",
        "amount_rp",
        "held",
        "earned_period",
        "source_key",
        "registration",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("amount"))
    def amount_rp(self, obj: FeeLine) -> str:
        return rupiah(obj.amount)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(FeeStatement)
class FeeStatementAdmin(BranchScopedAdmin):
    list_display = ("period", "owner", "branch", "status", "total", "approved_at", "paid_at")
    list_filter = ("status", "period", ("branch", admin.RelatedOnlyFieldListFilter))
    search_fields = ("agent__code", "agent__full_name", "kantor_perisai__code")
    list_select_related = ("agent", "kantor_perisai", "branch")
    readonly_fields = (
        "agent",
        "kantor_perisai",
        "branch",
        "period",
        "status",
        "total",
        "approved_at",
        "approved_by",
        "paid_at",
        "paid_by",
    )
    fields = readonly_fields
    inlines = [FeeLineInline]
    actions = ["approve", "mark_paid", "export_payout"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[FeeStatement]:
        return selectors.statements_with_totals(super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("agent or office"))
    def owner(self, obj: FeeStatement) -> str:
        return str(obj.agent or obj.kantor_perisai)

    @admin.display(description=gettext_lazy("total"), ordering="total_amount")
    def total(self, obj: FeeStatement) -> str:
        return rupiah(getattr(obj, "total_amount", 0))

    @admin.action(description=gettext_lazy("Approve"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[FeeStatement]) -> None:
        count = services.statements_approve(statements=queryset, by=staff_user(request))
        self.message_user(
            request, _("%(count)d statement(s) approved.") % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("Mark paid (head office)"), permissions=["change"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[FeeStatement]) -> None:
        try:
            count = services.statements_mark_paid(statements=queryset, by=staff_user(request))
        except ApplicationError as exc:
            self.message_user(request, str(exc.message), messages.ERROR)
            return
        self.message_user(
            request, _("%(count)d statement(s) marked paid.") % {"count": count}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("Export payout files (per bank)"), permissions=["view"])
    def export_payout(self, request: HttpRequest, queryset: QuerySet[FeeStatement]) -> HttpResponse:
        """A ZIP with one CSV per bank (account numbers, amounts, a total row) and a
        control file with each bank's count and total and the grand total. Only approved
        statements of agents with something to pay are included."""
        statements = (
            queryset.filter(status=StatementStatus.APPROVED, agent__isnull=False)
            .select_related("agent")
            .order_by("agent__bank", "agent__code")
        )
        by_bank: dict[str, list[FeeStatement]] = defaultdict(list)
        for statement in statements:
            if int(getattr(statement, "total_amount", 0)) > 0:
                by_bank[statement.agent.bank if statement.agent else ""].append(statement)
        archive = io.BytesIO()
        grand_total = grand_count = 0
        control = io.StringIO()
        control_writer = csv.writer(control)
        control_writer.writerow(["bank", "transfers", "total"])
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for bank, rows in sorted(by_bank.items()):
                out = io.StringIO()
                writer = csv.writer(out)
                writer.writerow(
                    ["bank", "account_number", "account_holder", "agent_code", "period", "amount"]
                )
                total = 0
                for statement in rows:
                    agent = statement.agent
                    assert agent is not None  # filtered on agent above  # noqa: S101
                    amount = int(getattr(statement, "total_amount", 0))
                    total += amount
                    writer.writerow(
                        [
                            bank,
                            agent.bank_account_number,
                            agent.full_name,
                            agent.code,
                            statement.period,
                            amount,
                        ]
                    )
                writer.writerow(["TOTAL", "", "", f"{len(rows)} transfers", "", total])
                zipped.writestr(f"payout-{bank}.csv", out.getvalue())
                control_writer.writerow([bank, len(rows), total])
                grand_total += total
                grand_count += len(rows)
            control_writer.writerow(["ALL", grand_count, grand_total])
            zipped.writestr("control.csv", control.getvalue())
        response = HttpResponse(archive.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="payout.zip"'
        return response


@admin.register(FeeLine)
class FeeLineAdmin(MoneyColumnsMixin, BranchScopedAdmin):
    money_fields = ("amount",)
    list_display = (
        "id",
        "kind",
        "amount",
        "held",
        "earned_period",
        "agent",
        "statement",
        "created_at",
    )
    list_filter = ("kind", "held", "earned_period", ("branch", admin.RelatedOnlyFieldListFilter))
    search_fields = ("source_key", "agent__code")
    list_select_related = ("agent", "statement")
    show_full_result_count = False
    readonly_fields = (
        "source_key",
        "statement",
        "kind",
        "amount",
        "held",
        "earned_period",
        "branch",
        "agent",
        "payment_line",
        "registration",
        "scheme",
        "override_of",
        "reverses",
        "releases",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PendingRecompute)
class PendingRecomputeAdmin(BranchScopedAdmin):
    """Requested recomputes not yet done: normally a few rows, each cleared within a
    minute or two; rows older than that mean the broker or the workers are down."""

    list_display = ("branch", "period", "created_at", "queued_at")
    readonly_fields = list_display
    fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(FeeScheme)
class FeeSchemeAdmin(MoneyColumnsMixin, EffectiveAdmin):
    money_fields = ("bonus_amount",)
    list_display = (
        "name",
        "commission_percent",
        "bonus_amount",
        "bonus_min_activations",
        "override_percent",
        "effective_from",
        "effective_to",
    )


class OpenFirstFilter(admin.SimpleListFilter):
    title = gettext_lazy("review")
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("all", _("All"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset if self.value() == "all" else queryset.filter(status=FlagStatus.OPEN)


@admin.register(RegistrationFlag)
class RegistrationFlagAdmin(BranchScopedAdmin):
    """The review queue: open flags first. Clearing releases the held fee lines;
    confirming fraud keeps them from ever being paid."""

    list_display = (
        "created_at",
        "registration",
        "participant_name",
        "agent",
        "captured_on",
        "rule",
        "status",
        "branch",
        "reviewed_by",
    )
    list_filter = (OpenFirstFilter, "rule", "status", ("branch", admin.RelatedOnlyFieldListFilter))
    list_select_related = (
        "registration__participant",
        "registration__agent",
        "branch",
        "reviewed_by",
    )
    raw_id_fields = ("registration",)
    actions = ["clear", "confirm_fraud", "confirm_fraud_and_terminate"]

    # The same staff read the participant's name in the registrations list; the NIK
    # stays masked there and is not shown here at all.
    @admin.display(
        description=gettext_lazy("participant"), ordering="registration__participant__full_name"
    )
    def participant_name(self, obj: RegistrationFlag) -> str:
        return obj.registration.participant.full_name

    @admin.display(description=gettext_lazy("agent"), ordering="registration__agent__code")
    def agent(self, obj: RegistrationFlag) -> str:
        return str(obj.registration.agent)

    @admin.display(description=gettext_lazy("captured on"), ordering="registration__captured_at")
    def captured_on(self, obj: RegistrationFlag) -> Any:
        return obj.registration.captured_at

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return (
            ("registration", "note")
            if obj is None
            else (
                "registration",
                "branch",
                "rule",
                "status",
                "note",
                "reviewed_by",
                "reviewed_at",
                "created_at",
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return () if obj is None else self.get_fields(request, obj)

    def save_model(
        self, request: HttpRequest, obj: RegistrationFlag, form: Any, change: bool
    ) -> None:
        if change:
            return
        flag = services.registration_flag(
            registration=form.cleaned_data["registration"],
            by=staff_user(request),
            note=form.cleaned_data.get("note", ""),
        )
        obj.pk = flag.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def _review(
        self, request: HttpRequest, queryset: QuerySet[RegistrationFlag], decide: Any
    ) -> None:
        registrations = {
            flag.registration for flag in queryset.select_related("registration__agent")
        }
        done = 0
        for registration in registrations:
            try:
                decide(registration)
            except ApplicationError as exc:
                self.message_user(request, f"{registration.pk}: {exc.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request, _("%(count)d registration(s) reviewed.") % {"count": done}, messages.SUCCESS
        )

    @admin.action(description=gettext_lazy("Clear (release held fees)"), permissions=["change"])
    def clear(self, request: HttpRequest, queryset: QuerySet[RegistrationFlag]) -> None:
        user = staff_user(request)
        self._review(request, queryset, lambda r: services.flags_clear(registration=r, by=user))

    @admin.action(description=gettext_lazy("Confirm fraud (never pay)"), permissions=["change"])
    def confirm_fraud(self, request: HttpRequest, queryset: QuerySet[RegistrationFlag]) -> None:
        user = staff_user(request)
        self._review(
            request, queryset, lambda r: services.flags_confirm_fraud(registration=r, by=user)
        )

    @admin.action(
        description=gettext_lazy("Confirm fraud and terminate the agent (forfeits unpaid fees)"),
        permissions=["change"],
    )
    def confirm_fraud_and_terminate(
        self, request: HttpRequest, queryset: QuerySet[RegistrationFlag]
    ) -> None:
        user = staff_user(request)
        self._review(
            request,
            queryset,
            lambda r: services.flags_confirm_fraud(registration=r, by=user, terminate_agent=True),
        )
