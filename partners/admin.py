import csv
import io
import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents import selectors as agent_selectors
from agents.admin import staff_user
from core.admin import ServiceFormAdmin
from core.models import Regency
from core.services import MalformedFileError, csv_rows
from partners import selectors, services
from partners.models import (
    SIGNING_KINDS,
    Company,
    Partner,
    PartnerApiKey,
    PartnerKind,
    PartnerSigningSecret,
    PermitCheck,
    RefusedRequest,
    SnapClient,
)
from partners.services import snap as snap_services


class ApiKeyInline(admin.TabularInline):
    model = PartnerApiKey
    extra = 0
    fields = ("prefix", "label", "created_at", "created_by", "last_used_at", "revoked_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SigningSecretInline(admin.TabularInline):
    model = PartnerSigningSecret
    extra = 0
    fields = ("label", "created_at", "revoked_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "is_active", "new_key_link")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("jurisdiction_provinces", "jurisdiction_regencies")
    inlines = [ApiKeyInline, SigningSecretInline]
    readonly_fields = ("credentials",)

    @admin.display(description=gettext_lazy("credentials"))
    def credentials(self, obj: Partner) -> str:
        if obj.pk is None:
            return ""
        links = format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:partners_partner_new_key", args=[obj.pk]),
            _("New API key"),
        )
        if obj.signs_requests:
            links += format_html(
                ' <a class="button" href="{}">{}</a>',
                reverse("admin:partners_partner_new_signing_secret", args=[obj.pk]),
                _("New signing secret"),
            )
        return links

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:partner_id>/new-key/",
                self.admin_site.admin_view(self.new_key_view),
                name="partners_partner_new_key",
            ),
            path(
                "<int:partner_id>/new-signing-secret/",
                self.admin_site.admin_view(self.new_signing_secret_view),
                name="partners_partner_new_signing_secret",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("API keys"))
    def new_key_link(self, obj: Partner) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:partners_partner_new_key", args=[obj.pk]),
            _("New key"),
        )

    def _secret_page(
        self, request: HttpRequest, partner: Partner, title: str, values: list[tuple[str, str]]
    ) -> TemplateResponse:
        response = TemplateResponse(
            request,
            "admin/partners/secret_once.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "partner": partner,
                "title": title,
                "values": values,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def new_key_view(self, request: HttpRequest, partner_id: int) -> HttpResponse:
        """GET asks; POST creates the key and shows it this once."""
        partner = get_object_or_404(Partner, pk=partner_id)
        if not self.has_change_permission(request, partner):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/partners/confirm_new_secret.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "partner": partner,
                    "title": _("New API key"),
                },
            )
        _key, raw = services.partner_key_create(
            partner=partner, label=request.POST.get("label", ""), by=staff_user(request)
        )
        return self._secret_page(
            request, partner, _("New API key"), [(_("Authorization header"), f"Api-Key {raw}")]
        )

    def new_signing_secret_view(self, request: HttpRequest, partner_id: int) -> HttpResponse:
        partner = get_object_or_404(Partner, pk=partner_id, kind__in=SIGNING_KINDS)
        if not self.has_change_permission(request, partner):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.method != "POST":
            return TemplateResponse(
                request,
                "admin/partners/confirm_new_secret.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "partner": partner,
                    "title": _("New signing secret"),
                },
            )
        _record, secret = services.signing_secret_create(
            partner=partner, label=request.POST.get("label", "")
        )
        return self._secret_page(
            request, partner, _("New signing secret"), [(_("Signing secret"), secret)]
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PartnerApiKey)
class PartnerApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "partner", "label", "created_at", "last_used_at", "revoked_at")
    list_filter = ("partner__kind", ("partner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("prefix", "partner__code", "label")
    list_select_related = ("partner",)
    fields = (
        "partner",
        "prefix",
        "label",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are made from the partner's page, which shows them once

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[PartnerApiKey]) -> None:
        keys = list(queryset.filter(revoked_at__isnull=True))
        for key in keys:
            services.partner_key_revoke(key=key, by=staff_user(request))
        self.message_user(
            request, _("%(count)d key(s) revoked.") % {"count": len(keys)}, messages.SUCCESS
        )


class CompanyImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = (
        "nib",
        "name",
        "regency",
        "npp",
        "reported_workforce",
        "enrolled_active",
        "arrears_months",
        "source_updated_at",
    )
    list_filter = ("regency__province", "arrears_months")
    search_fields = ("nib", "name", "npp", "npwp")
    list_select_related = ("regency",)
    readonly_fields = ("source", "source_updated_at", "created_at", "updated_at")
    show_full_result_count = False
    change_list_template = "admin/partners/company_change_list.html"

    # Staff see and change only the companies of their branch's or region's regencies
    # (partners.selectors.companies_visible_to); the change view, actions and the
    # regency choices all start from there, so another branch's company is not there.
    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        return selectors.companies_visible_to(request.user, super().get_queryset(request))

    def get_autocomplete_fields(self, request: HttpRequest) -> tuple[str, ...]:
        # Head office picks among every regency; staff from the few of their scope.
        unscoped = agent_selectors.staff_regency_filter(request.user, regency_path="") is None
        return ("regency",) if unscoped else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Regency:
            kwargs["queryset"] = agent_selectors.regencies_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="partners_company_import",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request: HttpRequest, obj: Company, form: Any, change: bool) -> None:
        obj.source = f"admin:{request.user}"
        obj.source_updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            return HttpResponseRedirect(reverse("admin:index"))
        report = None
        form = CompanyImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.COMPANY_IMPORT_MAX_BYTES:
                form.add_error("file", _("The file is larger than the limit."))
            else:
                try:
                    text = io.TextIOWrapper(upload.file, encoding="utf-8", newline="")
                    rows = list(csv_rows(text, header=services.COMPANY_CSV_HEADER))
                except MalformedFileError as exc:
                    form.add_error("file", f"{exc.message} {_('Nothing was imported.')}")
                else:
                    report = services.companies_import(rows=rows, source=f"admin:{upload.name}")
        return TemplateResponse(
            request,
            "admin/partners/company_import.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Import companies"),
                "form": form,
                "report": report,
                "header": ",".join(services.COMPANY_CSV_HEADER),
            },
        )


@admin.register(PermitCheck)
class PermitCheckAdmin(admin.ModelAdmin):
    # The decision next to the reference, where a narrow screen still shows it; the
    # client address is on the check's own page.
    list_display = ("reference", "decision", "company", "nib", "partner", "checked_at")
    list_filter = (("partner", admin.RelatedOnlyFieldListFilter), "decision")
    date_hierarchy = "checked_at"
    search_fields = ("reference", "nib", "application_ref")
    list_select_related = ("partner", "company")
    show_full_result_count = False
    actions = ["export_csv"]
    fields = (
        "reference",
        "partner",
        "api_key",
        "client_ip",
        "application_ref",
        "permit_type",
        "nib",
        "company",
        "decision",
        "reasons",
        "checked_at",
        "valid_until",
        "request_pretty",
        "answer_pretty",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[PermitCheck]:
        # Scoped like companies (partners.selectors.permit_checks_visible_to): the list,
        # the change view and the CSV export all start from here.
        return selectors.permit_checks_visible_to(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("request"))
    def request_pretty(self, obj: PermitCheck) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.request_body, indent=2, ensure_ascii=False)
        )

    @admin.display(description=gettext_lazy("answer"))
    def answer_pretty(self, obj: PermitCheck) -> str:
        return format_html(
            "<pre>{}</pre>",
            json.dumps(json.loads(obj.response_body or "{}"), indent=2, ensure_ascii=False),
        )

    @admin.action(description=gettext_lazy("Export as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[PermitCheck]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="permit-checks.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "reference",
                "office",
                "application_ref",
                "permit_type",
                "nib",
                "company",
                "decision",
                "reasons",
                "checked_at",
                "valid_until",
                "client_ip",
            ]
        )
        for check in (
            queryset.select_related("partner", "company")
            .order_by("checked_at")
            .iterator(chunk_size=2000)
        ):
            writer.writerow(
                [
                    check.reference,
                    check.partner.code,
                    check.application_ref,
                    check.permit_type,
                    check.nib,
                    check.company.name if check.company else "",
                    check.decision,
                    " ".join(check.reasons),
                    check.checked_at.isoformat(),
                    check.valid_until.isoformat(),
                    check.client_ip,
                ]
            )
        return response


@admin.register(RefusedRequest)
class RefusedRequestAdmin(admin.ModelAdmin):
    list_display = (
        "received_at",
        "partner",
        "key_prefix",
        "method",
        "path",
        "status",
        "code",
        "client_ip",
    )
    list_filter = ("code", "status", ("partner", admin.RelatedOnlyFieldListFilter))
    date_hierarchy = "received_at"
    search_fields = ("path", "key_prefix", "client_ip")
    list_select_related = ("partner",)
    show_full_result_count = False
    readonly_fields = (
        "received_at",
        "partner",
        "key_prefix",
        "method",
        "path",
        "status",
        "code",
        "client_ip",
        "body",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(SnapClient)
class SnapClientAdmin(ServiceFormAdmin):
    """A payment channel's SNAP credentials. The client secret is the channel's signing
    secret: made, shown once and rotated on the channel's own page."""

    list_display = ("partner", "partner_service_id_shown", "client_key", "updated_at")
    search_fields = ("partner__code", "partner__name", "client_key", "partner_service_id")
    list_select_related = ("partner",)
    fields = ("partner", "partner_service_id", "client_key", "public_key_pem")
    autocomplete_fields = ("partner",)

    @admin.display(description=gettext_lazy("partnerServiceId"))
    def partner_service_id_shown(self, obj: SnapClient) -> str:
        return repr(obj.partner_service_id)  # the padding spaces are part of it

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("partner",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "partner":
            kwargs["queryset"] = Partner.objects.filter(kind=PartnerKind.PAYMENT_CHANNEL)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: SnapClient, form: Any, change: bool) -> None:
        values = {
            "partner_service_id": form.cleaned_data["partner_service_id"],
            "client_key": form.cleaned_data["client_key"],
            "public_key_pem": form.cleaned_data["public_key_pem"],
        }
        if change:
            current = SnapClient.objects.get(pk=obj.pk)
            saved = snap_services.snap_client_update(client=current, **values)
        else:
            saved = snap_services.snap_client_create(partner=obj.partner, **values)
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
