"""Admin forms. They validate with the same pure rules the services use, so a form
error appears beside its field; the services check again before writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, AgentTraining
from core.messages import nik_error_message, person_name_error_message
from core.names import PersonNameError, normalise_person_name
from core.nik import NikError, parse_nik
from core.phone import PhoneError, normalise_phone


def _cleaned_phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        raise ValidationError(_("Enter an Indonesian mobile number, e.g. 081234567890.")) from None


def _cleaned_full_name(raw: str) -> str:
    try:
        return normalise_person_name(raw)
    except PersonNameError as error:
        raise ValidationError(person_name_error_message(error)) from None


class AgentAddForm(forms.ModelForm):
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

    def clean_full_name(self) -> str:
        return _cleaned_full_name(self.cleaned_data["full_name"])

    def clean_nik(self) -> str:
        branch = self.cleaned_data.get("branch")
        today = branch.local_today() if branch else timezone.localdate()
        try:
            return parse_nik(self.cleaned_data["nik"], today=today).value
        except NikError as error:
            raise ValidationError(nik_error_message(error)) from None

    def clean_phone(self) -> str:
        return _cleaned_phone(self.cleaned_data["phone"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first)
            except ValidationError as exc:
                self.add_error("password1", exc)
        kantor, branch = cleaned.get("kantor_perisai"), cleaned.get("branch")
        if kantor and branch and kantor.branch_id != branch.pk:
            self.add_error(
                "kantor_perisai", _("The Kantor Perisai must belong to the agent's branch.")
            )
        return cleaned


class AgentChangeForm(forms.ModelForm):
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

    def clean_full_name(self) -> str:
        return _cleaned_full_name(self.cleaned_data["full_name"])

    def clean_phone(self) -> str:
        return _cleaned_phone(self.cleaned_data["phone"])

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data.get("new_password", "")
        if password:
            validate_password(password, self.instance.user)
        return password

    def clean_kantor_perisai(self) -> Any:
        kantor = self.cleaned_data.get("kantor_perisai")
        if kantor and kantor.branch_id != self.instance.branch_id:
            raise ValidationError(_("The Kantor Perisai must belong to the agent's branch."))
        return kantor


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
