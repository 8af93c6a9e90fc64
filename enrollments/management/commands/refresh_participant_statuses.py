from typing import Any

from django.core.management.base import BaseCommand

from enrollments.services import participant_statuses_refresh


class Command(BaseCommand):
    help = (
        "Move participants between active and non-active by their paid-through dates (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = participant_statuses_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"lapsed to non-active: {result.lapsed}, active again: {result.restored}"
            )
        )
