from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.services import MalformedFileError, csv_rows
from partners.services import COMPANY_CSV_HEADER, companies_import


class Command(BaseCommand):
    help = (
        "Import companies from a UTF-8 CSV with the header "
        f"`{','.join(COMPANY_CSV_HEADER)}`. Idempotent on NIB. A malformed file writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                rows = list(csv_rows(stream, header=COMPANY_CSV_HEADER))
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except MalformedFileError as exc:
            raise CommandError(f"{path}: {exc.message} Nothing was imported.") from exc

        self.stdout.write(f"Read {len(rows)} rows from {path}; importing...")

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} rows written")

        report = companies_import(rows=rows, source=path.name, progress=progress)
        for rejected in report.rejected:
            self.stdout.write(self.style.WARNING(f"line {rejected.line}: {rejected.reason}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"created {report.created}, updated {report.updated}, "
                f"unchanged {report.unchanged}, rejected {len(report.rejected)}"
            )
        )
