from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from core.demo import DemoContext


class Command(BaseCommand):
    help = (
        "Load the demo world (organisation, accounts, ...). Idempotent: a second run "
        "writes nothing. Every demo account gets --password, or a generated one that is "
        "printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="password for every demo account")

    def handle(self, *args: Any, **options: Any) -> None:
        context = DemoContext.with_password(options["password"])
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                if not module_has_submodule(app_config.module, "demo"):
                    continue
                self.stdout.write(f"seeding {app_config.label}...")
                import_module(f"{app_config.name}.demo").seed(context)
                for line in context.log:
                    self.stdout.write(f"  {line}")
                context.log.clear()

        if context.accounts_created:
            self.stdout.write(f"accounts created: {', '.join(context.accounts_created)}")
            if context.password_generated:
                self.stdout.write(
                    f"password of the new demo accounts (shown once): {context.password}"
                )
        else:
            self.stdout.write("no new accounts; existing ones keep their passwords")
        self.stdout.write(self.style.SUCCESS("demo data ready"))
