from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = _("Enrollments")

    def ready(self) -> None:
        from core.personal_data import register
        from enrollments import personal_data

        register(personal_data.export)
