"""Head office's view of the messages: the outbox (phones masked; retry and cancel),
the templates by version, and the opt-outs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy, ngettext

from core.admin import ServiceFormAdmin
from core.phone import looks_like_phone, normalise_phone
from notifications import rules, services
from notifications.models import MessageTemplate, OptOutSource, OutboundMessage, PhoneOptOut


def _staff(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class PhoneEndingSearchMixin:
    """Search by the last digits of a phone (or a whole number, normalised): a full
    phone never needs to be shown to find a row, and the list shows none."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if looks_like_phone(term):
            return queryset.filter(phone=normalise_phone(term)), False
        if term.isdigit() and 3 <= len(term) <= 8:
            return queryset.filter(phone__endswith=term), False
        return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(PhoneEndingSearchMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "phone_masked",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "cancel_reason",
    )
    list_filter = ("status", "kind")
    search_fields = ("dedupe_key", "provider_message_id")
    search_help_text = gettext_lazy(
        "The last digits of the phone (e.g. 7890), a deduplication key or the gateway's id."
    )
    date_hierarchy = "created_at"
    actions = ["retry_now", "cancel"]
    fields = (
        "id",
        "kind",
        "phone_masked",
        "time_zone",
        "text",
        "dedupe_key",
        "status",
        "cancel_reason",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_error",
        "provider_message_id",
        "sent_at",
        "delivered_at",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("phone"))
    def phone_masked(self, obj: OutboundMessage) -> str:
        return obj.phone_masked

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Retry now (failed messages)"), permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = services.messages_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(
        description=gettext_lazy("Cancel (queued or failed messages)"), permissions=["change"]
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        count = services.messages_cancel(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext("%(count)d message cancelled.", "%(count)d messages cancelled.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ServiceFormAdmin):
    """A version is added with its first day; one that has begun is read-only (a change
    is a new version), one that has not may be corrected or deleted."""

    list_display = ("kind", "effective_from", "text")
    list_filter = ("kind",)
    date_hierarchy = "effective_from"
    fields = ("kind", "effective_from", "text", "placeholders")
    readonly_fields = ("placeholders",)

    @admin.display(description=gettext_lazy("placeholders of each kind"))
    def placeholders(self, obj: MessageTemplate | None) -> str:
        return format_html_join(
            "",
            "<p><strong>{}</strong>: {}</p>",
            (
                (label, ", ".join("{" + name + "}" for name in sorted(rules.PLACEHOLDERS[kind])))
                for kind, label in MessageTemplate._meta.get_field("kind").choices or []
                if kind in rules.PLACEHOLDERS
            ),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.readonly_fields
        if services.template_has_begun(obj):
            return ("kind", "effective_from", "text", "placeholders")
        return ("kind", "effective_from", "placeholders")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and services.template_has_begun(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            services.message_template_update(template=obj, text=form.cleaned_data["text"])
            return
        created = services.message_template_create(
            kind=obj.kind, effective_from=obj.effective_from, text=obj.text, by=_staff(request)
        )
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.message_template_delete(template=obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk delete would skip the service's rule: begun versions stay.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(PhoneOptOut)
class PhoneOptOutAdmin(PhoneEndingSearchMixin, ServiceFormAdmin):
    """Adding a phone stops its messages; deleting the row lets new ones through."""

    list_display = ("phone_masked", "source", "opted_out_at", "created_by")
    list_filter = ("source",)
    search_fields = ("phone",)
    search_help_text = gettext_lazy("The last digits of the phone, e.g. 7890, or the whole number.")
    fields = ("phone",)

    @admin.display(description=gettext_lazy("phone"))
    def phone_masked(self, obj: PhoneOptOut) -> str:
        return rules.mask_phone(obj.phone)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (
            ("phone",) if obj is None else ("phone_masked", "source", "opted_out_at", "created_by")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("phone_masked", "source", "opted_out_at", "created_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        recorded = services.phone_opt_out(
            phone=obj.phone, source=OptOutSource.ADMIN, by=_staff(request)
        )
        obj.pk = recorded.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.phone_opt_in(phone=obj.phone)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for phone in queryset.values_list("phone", flat=True):
            services.phone_opt_in(phone=phone)
