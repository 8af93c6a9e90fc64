from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from pghistory.apps import PGHistoryConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Geography")


class PghistoryConfig(PGHistoryConfig):
    """pghistory, named in the admin's language: the change history of every audited
    record."""

    verbose_name = _("Change history")

    def ready(self) -> None:
        super().ready()
        # pghistory names its models in plain English strings, outside gettext.
        events = self.get_model("Events")
        events._meta.verbose_name = _("change event")
        events._meta.verbose_name_plural = _("change events")
        middleware_events = self.get_model("MiddlewareEvents")
        middleware_events._meta.verbose_name = _("request change event")
        middleware_events._meta.verbose_name_plural = _("request change events")
