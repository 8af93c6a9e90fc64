import logging
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from core.demo import DemoContext


class Command(BaseCommand):
    help = (
        "Load the demo world (organisation, accounts, ...). Idempotent: a second run "
        "writes nothing, and touches nothing but the demo's own rows. Every new demo "
        "account gets --password, or a generated one that is printed; existing accounts "
        "keep theirs unless --reset-passwords."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", help="password for every new demo account")
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="also give the existing demo accounts --password",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset_passwords"] and not options["password"]:
            raise CommandError("--reset-passwords needs --password")
        context = DemoContext.with_password(options["password"], reset=options["reset_passwords"])
        # Quiet while seeding: the services log every recompute, and a thousand lines
        # would bury the one-time keys. Warnings and errors still show; -v 2 shows all.
        previous = logging.root.manager.disable
        if options["verbosity"] < 2:
            logging.disable(logging.INFO)
        try:
            with transaction.atomic():
                for app_config in apps.get_app_configs():
                    if not module_has_submodule(app_config.module, "demo"):
                        continue
                    import_module(f"{app_config.name}.demo").seed(context)
                    for line in context.log:
                        self.stdout.write(f"{app_config.label}: {line}")
                    context.log.clear()
        finally:
            logging.disable(previous)
        self._summary(context)

    def _summary(self, context: DemoContext) -> None:
        """The one block a newcomer needs, last: accounts, password, keys, secrets."""
        lines = []
        if context.accounts_created:
            lines.append(f"accounts created: {', '.join(context.accounts_created)}")
            if context.password_generated:
                lines.append(f"password of the new demo accounts (shown once): {context.password}")
        else:
            lines.append("no new accounts; existing ones keep their passwords")
        lines.extend(context.secrets)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("demo data ready"))
        for line in lines:
            self.stdout.write(f"  {line}")
        self.stdout.write("")
