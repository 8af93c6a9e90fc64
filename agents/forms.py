"""Admin forms. They check the shape of what is typed; the rules (NIK, name, phone,
password strength, the Kantor Perisai's branch) are the services', and the admin shows
a service's refusal beside the field it names (core.admin.ServiceFormAdmin)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, AgentTraining


class AgentAddForm(forms.ModelForm):
    # agents.services.agent_apply names the password "password".
    service_fields: ClassVar[dict[str, str]] = {"password": "password1"}

    nik = forms.CharField(
        label=_("NIK"),
        max_length=24,
        help_text=_("16 digits. Stored encrypted; shown masked afterwards."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    class Meta:
        model = Agent
        fields = [
            "branch",
            "full_name",
            "phone",
            "bank",
            "bank_account_number",
            "kantor_perisai",
            "is_bpjs_employee",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class AgentChangeForm(forms.ModelForm):
    # agents.services.agent_password_set names the password "password".
    service_fields: ClassVar[dict[str, str]] = {"password": "new_password"}

    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current one. Setting one signs the agent out."),
    )

    class Meta:
        model = Agent
        fields = [
            "full_name",
            "phone",
            "bank",
            "bank_account_number",
            "kantor_perisai",
            "is_bpjs_employee",
        ]


class AgentTrainingForm(forms.ModelForm):
    class Meta:
        model = AgentTraining
        fields = ["completed_on", "trainer", "branch"]


class StatusChangeReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args: Any, reason_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
