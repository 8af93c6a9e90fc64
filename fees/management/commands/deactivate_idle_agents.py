from typing import Any

from django.core.management.base import BaseCommand

from fees.services import idle_agents_deactivate


class Command(BaseCommand):
    help = (
        "Deactivate agents with three consecutive whole months of no registration and "
        "no contribution."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        codes = idle_agents_deactivate()
        self.stdout.write(
            self.style.SUCCESS(f"deactivated {len(codes)}: {', '.join(codes) or '-'}")
        )
