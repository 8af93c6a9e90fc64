import re
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.models import Branch
from fees import services
from fees.errors import NoSchemeError


class Command(BaseCommand):
    help = (
        "Recompute the fee ledger for a month (YYYY-MM), branch by branch. Idempotent: "
        "a second run, or a run after one that was interrupted, adds only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("period", help="YYYY-MM")
        parser.add_argument("--branch", help="only this branch code")

    def handle(self, *args: Any, **options: Any) -> None:
        period = options["period"]
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
            raise CommandError("the period is YYYY-MM")
        branches = Branch.objects.order_by("code")
        if options["branch"]:
            branches = branches.filter(code=options["branch"].upper())
        total = 0
        started = time.monotonic()
        for index, branch in enumerate(branches, start=1):
            try:
                result = services.fees_recompute_branch(branch_id=branch.pk, period=period)
            except NoSchemeError as exc:
                raise CommandError(f"{period}: {exc.message}") from exc
            total += result.inserted
            self.stdout.write(
                f"  [{index}/{len(branches)}] {branch.code}: {result.inserted} new lines"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{period}: {total} new lines in {time.monotonic() - started:.1f} s")
        )
