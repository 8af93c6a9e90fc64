import csv
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from agents.admin import BranchScopedAdmin, staff_user
from core.admin import MoneyColumnsMixin
from core.spreadsheets import cell
from enrollments import coverage, selectors, services, virtual_accounts
from enrollments.models import (
    ContributionRelief,
    DeathReport,
    FollowUpContact,
    FollowUpQueueEntry,
    IncomeLevel,
    NumberReservation,
    Occupation,
    Participant,
    Payment,
    PaymentLine,
    PaymentReversal,
    ProgramRate,
    ReconciliationIssue,
    Registration,
    SettlementImport,
    Sponsor,
    Sponsorship,
)
from enrollments.services import reconciliation
from enrollments.settlements import SETTLEMENT_CSV_HEADER
from enrollments.tasks import reconcile_settlement
from partners import selectors as partner_selectors
from partners.models import Partner, PartnerKind


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


class PaymentLineInline(admin.TabularInline):
    """The participant's payment history: what each payment covered."""

    model = PaymentLine
    fk_name = "participant"
    extra = 0
    can_delete = False
    fields = (
        "paid_at",
        "channel_ref",
        "amount",
        "months",
        "covered_from",
        "covered_through",
        "reversed_at",
    )
    readonly_fields = fields
    ordering = ("-paid_at", "-id")
    verbose_name_plural = _("payment history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("payment")

    @admin.display(description=_("channel reference"))
    def channel_ref(self, obj: PaymentLine) -> str:
        return f"{obj.payment.channel_id}:{obj.payment.channel_ref}"

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SponsorshipInline(admin.TabularInline):
    model = Sponsorship
    fk_name = "participant"
    extra = 0
    can_delete = False
    fields = ("sponsor", "months", "monthly_amount", "created_at")
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
        "paid_through",
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
        "paid_through",
        "arrears",
        "virtual_accounts",
        "activated_at",
        "status_changed_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [RegistrationInline, PaymentLineInline, SponsorshipInline]
    show_full_result_count = False

    @admin.display(description=_("NIK"))
    def nik_masked(self, obj: Participant) -> str:
        return obj.nik_masked

    @admin.display(description=_("months in arrears"))
    def arrears(self, obj: Participant) -> int:
        return coverage.arrears_months(obj.paid_through, obj.branch.local_today())

    @admin.display(description=_("virtual accounts"))
    def virtual_accounts(self, obj: Participant) -> str:
        shown = virtual_accounts.shown_numbers(
            partner_selectors.snap_service_ids(), obj.participant_number
        )
        return ", ".join(f"{va['channel']}: {va['number']}" for va in shown) or "—"


@admin.register(Registration)
class RegistrationAdmin(MoneyColumnsMixin, ReadOnlyAdmin):
    money_fields = ("monthly_total", "amount_due")
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
class IncomeLevelAdmin(MoneyColumnsMixin, EffectiveAdmin):
    money_fields = ("amount",)
    list_display = ("amount", "effective_from", "effective_to")


@admin.register(ProgramRate)
class ProgramRateAdmin(MoneyColumnsMixin, EffectiveAdmin):
    money_fields = ("flat_amount",)
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


@admin.register(PaymentLine)
class PaymentLineAdmin(MoneyColumnsMixin, ReadOnlyAdmin):
    """Payments as the branches see them: one row per participant paid for."""

    money_fields = ("amount",)

    list_display = (
        "paid_at",
        "channel",
        "channel_ref",
        "participant",
        "branch",
        "amount",
        "months",
        "covered_from",
        "covered_through",
        "reversed_at",
    )
    list_filter = (
        ("payment__channel", admin.RelatedOnlyFieldListFilter),
        ("branch", admin.RelatedOnlyFieldListFilter),
        ("reversed_at", admin.EmptyFieldListFilter),
    )
    date_hierarchy = "paid_at"
    search_fields = (
        "payment__channel_ref",
        "participant__participant_number",
        "registration__payment_code",
    )
    list_select_related = ("payment__channel", "participant", "branch")
    show_full_result_count = False
    exclude = ("registration",)
    readonly_fields = (
        "payment",
        "participant",
        "branch",
        "sponsorship",
        "amount",
        "months",
        "paid_at",
        "covered_from",
        "covered_through",
        "reversed_at",
    )

    @admin.display(description=_("channel"), ordering="payment__channel__code")
    def channel(self, obj: PaymentLine) -> str:
        return obj.payment.channel.code

    @admin.display(description=_("channel reference"), ordering="payment__channel_ref")
    def channel_ref(self, obj: PaymentLine) -> str:
        return obj.payment.channel_ref


class PaymentLineOfPaymentInline(admin.TabularInline):
    model = PaymentLine
    extra = 0
    can_delete = False
    fields = ("participant", "amount", "months", "covered_from", "covered_through", "reversed_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class NoWritesAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(MoneyColumnsMixin, NoWritesAdmin):
    """Deliveries from the channels (head office): a sponsor payment is one of these
    with many lines."""

    money_fields = ("amount",)

    list_display = ("paid_at", "channel", "channel_ref", "sponsor", "amount", "received_at")
    list_filter = (
        ("channel", admin.RelatedOnlyFieldListFilter),
        ("sponsor", admin.RelatedOnlyFieldListFilter),
    )
    date_hierarchy = "paid_at"
    search_fields = ("channel_ref",)
    list_select_related = ("channel", "sponsor")
    show_full_result_count = False
    exclude = ("request_hash", "response_body")
    readonly_fields = ("channel", "channel_ref", "sponsor", "amount", "paid_at", "received_at")
    inlines = [PaymentLineOfPaymentInline]


@admin.register(PaymentReversal)
class PaymentReversalAdmin(NoWritesAdmin):
    list_display = ("reversed_at", "payment", "reason")
    date_hierarchy = "reversed_at"
    search_fields = ("payment__channel_ref",)
    list_select_related = ("payment",)
    exclude = ("response_body",)
    readonly_fields = ("payment", "reason", "reversed_at")


class SponsorshipOfSponsorInline(admin.TabularInline):
    model = Sponsorship
    fk_name = "sponsor"
    extra = 0
    can_delete = False
    fields = ("participant", "months", "monthly_amount", "created_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Sponsor)
class SponsorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    inlines = [SponsorshipOfSponsorInline]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Sponsorship)
class SponsorshipAdmin(MoneyColumnsMixin, admin.ModelAdmin):
    """A sponsor takes on a participant for some months; the monthly amount is priced
    and frozen by the service (no reliefs for APBN/APBD sponsors)."""

    money_fields = ("monthly_amount",)

    list_display = ("sponsor", "participant", "months", "monthly_amount", "created_at")
    list_filter = (("sponsor", admin.RelatedOnlyFieldListFilter),)
    search_fields = ("participant__participant_number", "participant__full_name", "sponsor__name")
    raw_id_fields = ("participant",)
    list_select_related = ("sponsor", "participant")
    fields = ("sponsor", "participant", "months", "monthly_amount")

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return (
            ("sponsor", "participant", "months", "monthly_amount") if obj else ("monthly_amount",)
        )

    def save_model(self, request: HttpRequest, obj: Sponsorship, form: Any, change: bool) -> None:
        if change:
            return
        created = services.sponsorship_create(
            sponsor=form.cleaned_data["sponsor"],
            participant=form.cleaned_data["participant"],
            months=form.cleaned_data["months"],
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(FollowUpContact)
class FollowUpContactAdmin(ReadOnlyAdmin):
    """The agents' contacts with their recruits, as they recorded them."""

    branch_path = "registration__branch"
    list_display = ("contacted_at", "agent", "registration", "method", "outcome", "promised_on")
    list_filter = ("outcome", "method")
    search_fields = ("registration__participant__participant_number", "agent__code")
    list_select_related = ("agent", "registration")
    date_hierarchy = "contacted_at"


@admin.register(DeathReport)
class DeathReportAdmin(ReadOnlyAdmin):
    """Participants reported deceased by their agent: the branch contacts the family
    (JKM may be claimed) and closes the case. Reminders stopped when it was opened."""

    list_display = ("participant", "branch", "status", "created_at", "contact")
    list_filter = ("status", "branch")
    search_fields = ("participant__participant_number",)
    list_select_related = ("participant", "branch", "contact")
    actions = ["close"]

    def has_close_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.change_deathreport")

    @admin.action(description=_("Close the selected cases"), permissions=["close"])
    def close(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        closed = services.death_reports_close(
            reports=list(queryset), resolution=_("Closed by %(user)s") % {"user": request.user}
        )
        self.message_user(request, _("%(count)d case(s) closed.") % {"count": closed})


@admin.register(FollowUpQueueEntry)
class FollowUpQueueAdmin(ReadOnlyAdmin):
    """Who is lapsing: participants in arrears or due within 14 days, on their branch's
    date, the soonest to lapse first, with their agent and the last contact. Staff
    export it, or send the reminder each one's paid-through calls for now."""

    list_display = (
        "participant_number",
        "participant_name",
        "agent",
        "paid_through",
        "arrears",
        "last_contact",
    )
    list_select_related = ("participant", "participant__branch", "agent")
    search_fields = ("participant__participant_number", "agent__code")
    list_filter = ("branch",)
    ordering = ("participant__paid_through", "pk")  # the soonest to lapse first
    actions = ["export_csv", "send_reminder_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.follow_up_queue(super().get_queryset(request))

    @admin.display(description=_("participant number"), ordering="participant__participant_number")
    def participant_number(self, entry: FollowUpQueueEntry) -> str:
        return entry.participant.participant_number

    @admin.display(description=_("name"))
    def participant_name(self, entry: FollowUpQueueEntry) -> str:
        return entry.participant.full_name

    @admin.display(description=_("paid through"), ordering="participant__paid_through")
    def paid_through(self, entry: FollowUpQueueEntry) -> Any:
        return entry.participant.paid_through

    @admin.display(description=_("months in arrears"))
    def arrears(self, entry: FollowUpQueueEntry) -> int:
        participant = entry.participant
        return coverage.arrears_months(participant.paid_through, participant.branch.local_today())

    @admin.display(description=_("last contact"))
    def last_contact(self, entry: FollowUpQueueEntry) -> str:
        contact = entry.last_contact  # type: ignore[attr-defined]
        if contact is None:
            return "—"
        return f"{contact.contacted_at:%Y-%m-%d} {contact.get_outcome_display()}"

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        contacts = selectors.contacts_by_id([e.last_contact_id for e in changelist.result_list])
        for entry in changelist.result_list:
            entry.last_contact = contacts.get(entry.last_contact_id)
        return changelist

    @admin.action(description=_("Export the selected as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="follow-up-queue.csv"'
        writer = csv.writer(response)
        writer.writerow(
            ["participant_number", "name", "agent", "branch", "paid_through", "arrears_months"]
        )
        for entry in queryset.select_related("participant__branch", "agent"):
            participant = entry.participant
            writer.writerow(
                [
                    participant.participant_number,
                    cell(participant.full_name),
                    entry.agent.code,
                    participant.branch.code,
                    participant.paid_through,
                    coverage.arrears_months(
                        participant.paid_through, participant.branch.local_today()
                    ),
                ]
            )
        return response

    @admin.action(description=_("Send a reminder now"))
    def send_reminder_now(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        written = services.reminders_send_now(
            registrations=queryset.select_related("participant__branch")
        )
        self.message_user(request, _("%(count)d reminder(s) queued.") % {"count": written})


class ReservationStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("unused", _("unused")), ("used", _("used")), ("expired", _("expired unused"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "unused":
            return queryset.unused(now=now)  # type: ignore[attr-defined]
        if self.value() == "used":
            return queryset.filter(used_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(used_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(NumberReservation)
class NumberReservationAdmin(ReadOnlyAdmin):
    """Participant numbers the agents' devices reserved before registering offline. Only
    the app reserves and uses them; a superuser may shorten or extend a reservation, or
    delete one never used (its number may then be drawn again)."""

    branch_path = "agent__branch"
    list_display = (
        "participant_number",
        "agent",
        "branch",
        "reserved_at",
        "expires_at",
        "used_at",
        "registration",
    )
    list_filter = (ReservationStateFilter, ("agent__branch", admin.RelatedOnlyFieldListFilter))
    search_fields = ("participant_number", "agent__code")
    search_help_text = _("Participant number or agent code.")
    list_select_related = ("agent__branch", "registration")
    date_hierarchy = "reserved_at"
    show_full_result_count = False
    fields = ("participant_number", "agent", "reserved_at", "expires_at", "used_at", "registration")

    @admin.display(description=_("branch"), ordering="agent__branch__code")
    def branch(self, obj: NumberReservation) -> str:
        return str(obj.agent.branch)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return [name for name in self.fields if name != "expires_at"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        used = isinstance(obj, NumberReservation) and obj.used_at is not None
        return bool(request.user.is_superuser) and not used


# Daily reconciliation -------------------------------------------------------------------


class SettlementUploadForm(forms.Form):
    channel = forms.ModelChoiceField(
        label=_("channel"),
        queryset=Partner.objects.filter(kind=PartnerKind.PAYMENT_CHANNEL, is_active=True),
    )
    day = forms.DateField(
        label=_("settlement day"),
        required=False,
        help_text=_("When empty: the day most of the file's payments were made on."),
    )
    file = forms.FileField(label=_("CSV file"))


@admin.register(SettlementImport)
class SettlementImportAdmin(NoWritesAdmin):
    """Channels' settlement files, each with its report; uploaded here (or by
    ``manage.py reconcile_payments``) and reconciled in the background."""

    list_display = (
        "started_at",
        "channel",
        "day",
        "status",
        "progress",
        "matched",
        "applied",
        "missing",
        "mismatched",
        "invalid",
    )
    list_filter = (("channel", admin.RelatedOnlyFieldListFilter), "status")
    date_hierarchy = "day"
    list_select_related = ("channel", "created_by")
    change_list_template = "admin/enrollments/settlementimport/change_list.html"
    fields = (
        "channel",
        "day",
        "file_name",
        "sha256",
        "status",
        "progress",
        "matched",
        "applied",
        "missing",
        "mismatched",
        "invalid",
        "issues",
        "invalid_lines_table",
        "failure",
        "started_at",
        "finished_at",
        "created_by",
    )
    readonly_fields = fields

    def has_upload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.add_settlementimport")

    @admin.display(description=_("progress"))
    def progress(self, obj: SettlementImport) -> str:
        read = _("%(done)s of %(total)s lines read") % {
            "done": f"{obj.lines_done:,}",
            "total": f"{obj.lines_total:,}",
        }
        if obj.to_apply:
            return f"{read}; " + _("%(done)s of %(total)s applied") % {
                "done": f"{obj.applied:,}",
                "total": f"{obj.to_apply:,}",
            }
        return read

    @admin.display(description=_("issues found"))
    def issues(self, obj: SettlementImport) -> str:
        url = reverse("admin:enrollments_reconciliationissue_changelist")
        return format_html(
            '<a href="{}?settlement__id__exact={}">{}</a>', url, obj.pk, _("the issues it found")
        )

    @admin.display(description=_("invalid lines (first ones)"))
    def invalid_lines_table(self, obj: SettlementImport) -> str:
        if not obj.invalid_lines:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((line, reason) for line, reason in obj.invalid_lines),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("line"),
            _("reason"),
            rows,
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name="enrollments_settlementimport_upload",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        form = SettlementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.SETTLEMENT_IMPORT_MAX_BYTES:
                form.add_error("file", _("The file is larger than the limit."))
            else:
                settlement = self._start(request, form.cleaned_data, upload)
                self.message_user(
                    request,
                    _("The file is being reconciled; this page shows its progress."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:enrollments_settlementimport_change", args=[settlement.pk])
                )
        return TemplateResponse(
            request,
            "admin/enrollments/settlementimport/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import a settlement file"),
                "form": form,
                "header": ",".join(SETTLEMENT_CSV_HEADER),
            },
        )

    def _start(self, request: HttpRequest, data: dict[str, Any], upload: Any) -> SettlementImport:
        directory = Path(settings.SETTLEMENT_FILES_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        stored = directory / f"{uuid.uuid4().hex}.csv"
        with stored.open("wb") as target:
            for chunk in upload.chunks():
                target.write(chunk)
        settlement = reconciliation.settlement_import_start(
            channel=data["channel"],
            path=stored,
            file_name=upload.name,
            day=data["day"],
            created_by=staff_user(request),
        )
        transaction.on_commit(partial(reconcile_settlement.delay, settlement.pk, str(stored)))
        return settlement

    def render_change_form(
        self, request: HttpRequest, context: Any, *args: Any, **kwargs: Any
    ) -> Any:
        obj = context.get("original")
        if obj is not None and obj.status == SettlementImport.Status.RUNNING:
            context["refresh_seconds"] = 5
        return super().render_change_form(request, context, *args, **kwargs)


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("How was it resolved?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(MoneyColumnsMixin, NoWritesAdmin):
    """What the channels' files and the payments recorded disagree on: staff look into
    each (with the channel, the participant) and mark it resolved with a note."""

    money_fields = ("file_amount", "recorded_amount")
    list_display = (
        "day",
        "channel",
        "kind",
        "channel_ref",
        "file_amount",
        "recorded_amount",
        "status",
        "detail",
    )
    list_filter = (("channel", admin.RelatedOnlyFieldListFilter), "status", "kind", "day")
    search_fields = ("channel_ref",)
    date_hierarchy = "day"
    list_select_related = ("channel",)
    fields = (
        "channel",
        "day",
        "kind",
        "channel_ref",
        "payment",
        "file_amount",
        "recorded_amount",
        "detail",
        "settlement",
        "status",
        "note",
        "resolved_by",
        "resolved_at",
        "created_at",
    )
    readonly_fields = fields
    actions = ["mark_resolved"]

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.change_reconciliationissue")

    @admin.action(description=_("Mark resolved, with a note"), permissions=["resolve"])
    def mark_resolved(
        self, request: HttpRequest, queryset: QuerySet[ReconciliationIssue]
    ) -> TemplateResponse | None:
        form = ResolveForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            resolved = reconciliation.reconciliation_issues_resolve(
                issues=list(queryset), note=form.cleaned_data["note"], by=staff_user(request)
            )
            self.message_user(
                request, _("%(count)d issue(s) resolved.") % {"count": resolved}, messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/enrollments/reconciliationissue/resolve.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Mark resolved, with a note"),
                "issues": queryset.select_related("channel"),
                "form": form,
                "action": "mark_resolved",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
