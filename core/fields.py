"""Input fields that take strings only. DRF's CharField turns 0 into "0"; a client
that sends a number where the contract says string has a bug worth reporting."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class _StringOnly:
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(_StringOnly, serializers.CharField):
    """Its length is checked as sent, before surrounding whitespace is trimmed: the
    schema's maxLength counts every character, and so does the server."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class StrictRegexField(_StringOnly, serializers.RegexField):
    pass


class StrictSlugField(_StringOnly, serializers.SlugField):
    pass


class UniqueListField(serializers.ListField):
    """A list whose items must all differ; the schema says ``uniqueItems``."""

    default_error_messages = {"not_unique": _("List each value once.")}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if len({repr(item) for item in value}) != len(value):
            self.fail("not_unique")
        return value


class StrictIntegerField(serializers.IntegerField):
    """A JSON number only: DRF's IntegerField takes "5" (and True, as 1)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)
