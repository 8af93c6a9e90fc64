from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.services import MalformedFileError, regencies_import, regency_csv_read


class Command(BaseCommand):
    help = (
        "Import regencies and cities from a UTF-8 CSV with the header `code,name` "
        "(BPS/Kemendagri four-digit codes). Idempotent: unchanged rows are not written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                rows = regency_csv_read(stream)
        except FileNotFoundError as exc:
            raise CommandError(f"{path}: no such file") from exc
        except MalformedFileError as exc:
            raise CommandError(f"{path}: {exc.message} Nothing was imported.") from exc

        self.stdout.write(f"Read {len(rows)} rows from {path}; importing...")
        report = regencies_import(rows=rows)
        for rejected in report.rejected:
            self.stdout.write(self.style.WARNING(f"line {rejected.line}: {rejected.reason}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"created {report.created}, updated {report.updated}, "
                f"unchanged {report.unchanged}, rejected {len(report.rejected)}"
            )
        )
