import json
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError, InvalidInputError
from core.messages import nik_error_message
from core.models import PersonalDataLookup, Province, Regency
from core.money import rupiah
from core.nik import NikError, parse_nik
from core.personal_data import personal_data_lookup

admin.site.site_header = _("Perisai administration")
admin.site.site_title = _("Perisai")
admin.site.index_title = _("Administration")
# "View site" leads to the small start page at "/", not to a 404.
admin.site.site_url = "/"


class MoneyColumnsMixin:
    """Lists show the model fields named in ``money_fields`` as ``Rp 271.110``, the
    format of the dashboard's cards, sortable as the field."""

    money_fields: tuple[str, ...] = ()
    model: type[Any]

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = super().get_list_display(request)  # type: ignore[misc]
        return [
            self._money_column(column)
            if isinstance(column, str) and column in self.money_fields
            else column
            for column in columns
        ]

    def _money_column(self, name: str) -> Any:
        def column(obj: Any) -> str:
            return rupiah(getattr(obj, name))

        column.__name__ = name
        column.short_description = self.model._meta.get_field(name).verbose_name  # type: ignore[attr-defined]
        column.admin_order_field = name  # type: ignore[attr-defined]
        return column


def form_errors_from(form: forms.BaseForm, refusal: ApplicationError) -> None:
    """Shows a service's refusal on the form it came from: each field an
    InvalidInputError names at the form's field of that name (a form whose names differ
    maps them in ``service_fields``), anything else above the form."""
    renamed: dict[str, str] = getattr(form, "service_fields", {})
    if not isinstance(refusal, InvalidInputError) or not refusal.fields:
        form.add_error(None, str(refusal.message))
        return
    for name, messages in refusal.fields.items():
        field = renamed.get(name, name)
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(field if field in form.fields else None, str(message))


_REFUSAL = "_service_refusal"


class ServiceFormAdmin(admin.ModelAdmin):
    """An admin whose save_model (or save_formset) writes through a service: when the
    service refuses, the form is shown again with the refusal at the fields it names,
    as Django shows its own errors. The rules stay in the service; forms do not repeat
    them."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as refusal:
            if request.method != "POST" or hasattr(request, _REFUSAL):
                raise
            # The attempt's transaction (changeform_view's own) has been rolled back. The
            # same POST again, with the refusal on the form: an invalid form is not
            # saved, so this pass writes nothing.
            setattr(request, _REFUSAL, refusal)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if not hasattr(request, _REFUSAL):
            return form_class
        refusal: ApplicationError = getattr(request, _REFUSAL)

        class RefusedForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self) -> Any:
                cleaned = super().clean()
                form_errors_from(self, refusal)
                return cleaned

        RefusedForm.__name__ = form_class.__name__
        return RefusedForm


class RegencyInline(admin.TabularInline):
    model = Regency
    extra = 0
    fields = ("code", "name")
    show_change_link = True


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    inlines = [RegencyInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Province | None = None
    ) -> tuple[str, ...]:
        # The code is the key NIKs and regencies are built from: fixed once created.
        return ("code",) if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Province | None = None) -> bool:
        return False


@admin.register(Regency)
class RegencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    search_fields = ("code", "name")
    list_select_related = ("province",)
    autocomplete_fields = ("province",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Regency | None = None
    ) -> tuple[str, ...]:
        return ("code", "province") if obj else ()


class PersonalDataForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"), max_length=24, widget=forms.PasswordInput(render_value=False)
    )
    reason = forms.CharField(label=_("Reason (request reference, complaint, ...)"), max_length=300)


@admin.register(PersonalDataLookup)
class PersonalDataLookupAdmin(admin.ModelAdmin):
    """The log of look-ups, and the look-up itself: the NIK travels in a POST body,
    never in a URL, and is not kept."""

    list_display = ("looked_up_at", "user", "reason", "records_found", "exported")
    list_filter = ("exported",)
    readonly_fields = ("looked_up_at", "user", "nik_digest", "reason", "records_found", "exported")

    def get_urls(self) -> list[Any]:
        return [
            path(
                "lookup/",
                self.admin_site.admin_view(self.lookup_view),
                name="core_personal_data_lookup",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("core.lookup_personal_data"):
            raise PermissionDenied
        data = None
        form = PersonalDataForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                nik = parse_nik(form.cleaned_data["nik"], today=timezone.localdate()).value
            except NikError as error:
                form.add_error("nik", nik_error_message(error))
            else:
                export = "export" in request.POST
                found = personal_data_lookup(
                    nik=nik,
                    user=request.user,  # type: ignore[arg-type]  # the admin signs staff in
                    reason=form.cleaned_data["reason"],
                    export=export,
                )
                encoded = json.dumps(found, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
                if export:
                    response = HttpResponse(encoded, content_type="application/json; charset=utf-8")
                    response["Content-Disposition"] = 'attachment; filename="personal-data.json"'
                    response["Cache-Control"] = "no-store"
                    return response
                data = encoded
        response = TemplateResponse(
            request,
            "admin/core/personal_data.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Personal data by NIK"),
                "form": form,
                "data": data,
            },
        )
        response["Cache-Control"] = "no-store"
        return response
