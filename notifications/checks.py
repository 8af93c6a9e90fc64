"""A misconfigured provider is reported at start-up (``manage.py check``, runserver,
migrate), not at the first message."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from notifications.providers import provider_from_settings


@checks.register()
def provider_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        provider_from_settings()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="notifications.E001")]
    return []
