import csv
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.db.models import Count, Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents import selectors, services
from agents.forms import AgentAddForm, AgentChangeForm, AgentTrainingForm, StatusChangeReasonForm
from agents.models import (
    Agent,
    AgentStatusChange,
    AgentTraining,
    Branch,
    KantorPerisai,
    Region,
    StaffProfile,
)
from core.admin import ServiceFormAdmin
from core.exceptions import ApplicationError
from core.phone import looks_like_phone, normalise_phone


def staff_user(request: HttpRequest) -> User:
    """The admin only lets signed-in staff this far."""
    assert isinstance(request.user, User)  # noqa: S101
    return request.user


class BranchScopedAdmin(admin.ModelAdmin):
    """Staff see and change only rows of their branch, or of their region's branches;
    head office and superusers see everything. Everything else in the admin (change
    view, actions, autocomplete, foreign-key choices) starts from this queryset, so an
    out-of-scope row is simply not there."""

    branch_path = "branch"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.scoped(
            super().get_queryset(request), request.user, branch_path=self.branch_path
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        choices = {
            Branch: selectors.branches_visible_to,
            Region: selectors.regions_visible_to,
            KantorPerisai: selectors.kantor_perisai_visible_to,
        }
        if db_field.related_model in choices:
            kwargs["queryset"] = choices[db_field.related_model](request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0
    fields = ("code", "name", "time_zone", "is_active")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "branch_count")
    search_fields = ("code", "name")
    inlines = [BranchInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Region]:
        visible = selectors.regions_visible_to(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=visible.values("pk"))
            .annotate(branch_count=Count("branches"))
        )

    @admin.display(description=gettext_lazy("branches"), ordering="branch_count")
    def branch_count(self, obj: Region) -> int:
        return obj.branch_count  # type: ignore[attr-defined]


@admin.register(Branch)
class BranchAdmin(BranchScopedAdmin):
    branch_path = ""
    list_display = ("code", "name", "region", "regency", "time_zone", "is_active")
    list_filter = ("region", "time_zone", "is_active")
    search_fields = ("code", "name", "regency__name")
    list_select_related = ("region", "regency")
    autocomplete_fields = ("region", "regency")


@admin.register(KantorPerisai)
class KantorPerisaiAdmin(BranchScopedAdmin):
    list_display = ("code", "name", "branch", "is_active")
    list_filter = (("branch", admin.RelatedOnlyFieldListFilter), "is_active")
    search_fields = ("code", "name")
    list_select_related = ("branch",)


class AgentTrainingInline(admin.TabularInline):
    model = AgentTraining
    form = AgentTrainingForm
    extra = 1
    fields = ("completed_on", "trainer", "branch", "recorded_by")
    readonly_fields = ("recorded_by",)
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a training record is a fact: add a new one, never rewrite

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.related_model is Branch:
            kwargs["queryset"] = selectors.branches_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AgentStatusChangeInline(admin.TabularInline):
    model = AgentStatusChange
    extra = 0
    fields = ("changed_at", "from_status", "to_status", "changed_by", "channel", "reason")
    readonly_fields = fields
    can_delete = False
    ordering = ("-changed_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


StatusService = Callable[..., Agent]


def status_action(
    name: str, service: StatusService, title: Any, *, reason_required: bool = False
) -> Any:
    """An admin action that asks for a reason (required or not) on an intermediate page,
    then runs ``service`` for each selected agent and reports each refusal."""

    def action(model_admin: "AgentAdmin", request: HttpRequest, queryset: QuerySet[Agent]) -> Any:
        return model_admin._status_action(
            request,
            queryset,
            service=service,
            action=name,
            title=title,
            reason_required=reason_required,
        )

    action.__name__ = name
    return admin.action(description=title, permissions=["change"])(action)


@admin.register(Agent)
class AgentAdmin(ServiceFormAdmin, BranchScopedAdmin):
    list_display = (
        "code",
        "full_name",
        "branch",
        "kantor_perisai",
        "status",
        "phone",
        "activated_at",
    )
    list_filter = (
        ("branch", admin.RelatedOnlyFieldListFilter),
        "status",
        ("kantor_perisai", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("code", "full_name", "phone")
    search_help_text = gettext_lazy("Agent code, name or mobile number.")
    list_select_related = ("branch", "kantor_perisai")
    readonly_fields = (
        "code",
        "nik_masked",
        "status",
        "branch",
        "status_changed_at",
        "activated_at",
        "deactivated_at",
        "created_at",
    )
    actions = ["activate", "deactivate", "reactivate", "terminate", "export_csv"]

    def get_form(
        self, request: HttpRequest, obj: Agent | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = AgentChangeForm if obj else AgentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Agent | None = None) -> Any:
        if obj is None:
            return [
                (None, {"fields": ["branch", "full_name", "nik", "phone"]}),
                (_("Bank"), {"fields": ["bank", "bank_account_number"]}),
                (None, {"fields": ["kantor_perisai", "is_bpjs_employee"]}),
                (_("Sign-in"), {"fields": ["password1", "password2"]}),
            ]
        return [
            (None, {"fields": ["code", "status", "full_name", "nik_masked", "phone", "branch"]}),
            (_("Bank"), {"fields": ["bank", "bank_account_number"]}),
            (None, {"fields": ["kantor_perisai", "is_bpjs_employee", "new_password"]}),
            (
                _("Dates"),
                {"fields": ["created_at", "status_changed_at", "activated_at", "deactivated_at"]},
            ),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Agent | None = None) -> Any:
        return self.readonly_fields if obj else ()

    def get_inlines(self, request: HttpRequest, obj: Agent | None) -> Any:
        return [AgentTrainingInline, AgentStatusChangeInline] if obj else []

    @admin.display(description=gettext_lazy("NIK"))
    def nik_masked(self, obj: Agent) -> str:
        return obj.nik_masked

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Agent], search_term: str
    ) -> tuple[QuerySet[Agent], bool]:
        # No search by NIK here: the search term travels in the URL, and a NIK never
        # may. Phones are searched in whatever form they are typed.
        term = search_term.strip()
        if term and looks_like_phone(term):
            return queryset.filter(phone=normalise_phone(term)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request: HttpRequest, obj: Agent, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            agent = services.agent_apply(
                branch=data["branch"],
                full_name=data["full_name"],
                nik=data["nik"],
                phone=data["phone"],
                bank=data["bank"],
                bank_account_number=data["bank_account_number"],
                password=data["password1"],
                kantor_perisai=data.get("kantor_perisai"),
                is_bpjs_employee=data.get("is_bpjs_employee", False),
                by=staff_user(request),
            )
            obj.pk = agent.pk
            obj.refresh_from_db()
            return
        stored = Agent.objects.get(pk=obj.pk)
        changes = {name: data[name] for name in form.changed_data if name != "new_password"}
        if changes:
            services.agent_update(agent=stored, data=changes, by=staff_user(request))
        if data.get("new_password"):
            services.agent_password_set(
                agent=stored, password=data["new_password"], by=staff_user(request)
            )
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not AgentTraining:
            return super().save_formset(request, form, formset, change)
        for training in formset.save(commit=False):
            services.agent_training_record(
                agent=form.instance,
                completed_on=training.completed_on,
                trainer=training.trainer,
                branch=training.branch,
                by=staff_user(request),
            )
        return None

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # agents are deactivated or terminated, never deleted

    # Status actions ---------------------------------------------------------------

    def _status_action(
        self,
        request: HttpRequest,
        queryset: QuerySet[Agent],
        *,
        service: StatusService,
        action: str,
        title: Any,
        reason_required: bool,
    ) -> TemplateResponse | None:
        if "apply" in request.POST:
            form = StatusChangeReasonForm(request.POST, reason_required=reason_required)
            if form.is_valid():
                done, refused = 0, []
                for agent in queryset.order_by("code"):
                    try:
                        service(
                            agent=agent, by=staff_user(request), reason=form.cleaned_data["reason"]
                        )
                    except ApplicationError as exc:
                        refused.append(f"{agent.code}: {exc.message}")
                    else:
                        done += 1
                if done:
                    self.message_user(
                        request,
                        _("%(title)s: %(count)d agent(s).") % {"title": title, "count": done},
                        messages.SUCCESS,
                    )
                for line in refused:
                    self.message_user(request, line, messages.ERROR)
                return None
        else:
            form = StatusChangeReasonForm(reason_required=reason_required)
        return TemplateResponse(
            request,
            "admin/agents/agent/status_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "question": _("Apply this change to these agents?"),
                "agents": queryset.order_by("code"),
                "form": form,
                "action": action,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    activate = status_action("activate", services.agent_activate, gettext_lazy("Activate"))
    deactivate = status_action(
        "deactivate", services.agent_deactivate, gettext_lazy("Deactivate"), reason_required=True
    )
    reactivate = status_action(
        "reactivate", services.agent_reactivate, gettext_lazy("Reactivate"), reason_required=True
    )
    terminate = status_action(
        "terminate",
        services.agent_terminate,
        gettext_lazy("Terminate (fraud, final)"),
        reason_required=True,
    )

    @admin.action(description=gettext_lazy("Export as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Agent]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="agents.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "code",
                "full_name",
                "branch",
                "kantor_perisai",
                "status",
                "phone",
                "bank",
                "bank_account",
                "activated_at",
                "deactivated_at",
            ]
        )
        rows = queryset.select_related("branch", "kantor_perisai").order_by("code")
        for agent in rows.iterator(chunk_size=2000):
            writer.writerow(
                [
                    agent.code,
                    agent.full_name,
                    agent.branch.code,
                    agent.kantor_perisai.code if agent.kantor_perisai else "",
                    agent.status,
                    agent.phone,
                    agent.bank,
                    agent.bank_account_masked,
                    agent.activated_at.isoformat() if agent.activated_at else "",
                    agent.deactivated_at.isoformat() if agent.deactivated_at else "",
                ]
            )
        return response


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "level", "branch", "region")
    list_filter = ("level", "region")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("branch", "region")
    raw_id_fields = ("user",)
    list_select_related = ("user", "branch", "region")
