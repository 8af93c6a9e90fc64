import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tallies.services import tallies_backfill


class Command(BaseCommand):
    help = (
        "Recompute the daily tallies of every branch: one day (default today), or a range "
        "(--from/--to), or a whole year (--year). Idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("date", nargs="?", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--year", type=int, help="every day of the year, up to today")
        parser.add_argument("--from", dest="first", help="YYYY-MM-DD")
        parser.add_argument("--to", dest="last", help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        try:
            if options["year"]:
                first = datetime.date(options["year"], 1, 1)
                last = min(datetime.date(options["year"], 12, 31), today)
            elif options["first"]:
                first = datetime.date.fromisoformat(options["first"])
                last = datetime.date.fromisoformat(options["last"]) if options["last"] else today
            else:
                first = last = (
                    datetime.date.fromisoformat(options["date"]) if options["date"] else today
                )
        except ValueError as exc:
            raise CommandError(f"dates are YYYY-MM-DD: {exc}") from exc
        if first > last:
            raise CommandError("the range is empty")
        started = time.monotonic()
        total_days = (last - first).days + 1

        def progress(day: datetime.date) -> None:
            done = (day - first).days + 1
            if done == total_days or done % 30 == 0:
                self.stdout.write(f"  {day} ({done}/{total_days})")

        rows = tallies_backfill(first=first, last=last, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"{rows} branch-days from {first} to {last} in {time.monotonic() - started:.1f} s"
            )
        )
