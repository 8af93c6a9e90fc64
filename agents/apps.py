from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = _("Organisation and agents")

    def ready(self) -> None:
        from agents import personal_data, schema  # noqa: F401 (registers the OpenAPI extension)
        from core.personal_data import register

        register(personal_data.export)
