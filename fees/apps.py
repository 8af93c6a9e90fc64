from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = _("Agent fees")

    def ready(self) -> None:
        from fees import receivers  # noqa: F401 (connects the recompute trigger)
