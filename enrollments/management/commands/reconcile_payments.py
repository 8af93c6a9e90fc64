import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import ApplicationError
from enrollments.models import SettlementImport
from enrollments.services.reconciliation import settlement_reconcile
from partners.models import Partner, PartnerKind


class Command(BaseCommand):
    help = (
        "Reconcile a payment channel's settlement file (CSV: reference,payment_code,amount,"
        "paid_at) with the payments recorded: apply the ones missing here, queue the others "
        "for staff, print the report. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("channel", help="the payment channel's partner code, e.g. BANK-BNI")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--day",
            type=datetime.date.fromisoformat,
            help="the settlement day (YYYY-MM-DD, Asia/Jakarta); by default the day most "
            "of the file's payments were made on",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Partner.objects.filter(
            code=options["channel"], kind=PartnerKind.PAYMENT_CHANNEL
        ).first()
        if channel is None:
            raise CommandError(f"no payment channel has the code {options['channel']}")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            settlement = settlement_reconcile(
                channel=channel, path=path, day=options["day"], progress=self._progress
            )
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from exc
        self._report(settlement)
        if settlement.status == SettlementImport.Status.FAILED:
            raise CommandError(settlement.failure)

    def _progress(self, settlement: SettlementImport, stage: str) -> None:
        if stage == "staging":
            self.stdout.write(f"read {settlement.lines_done:,} of {settlement.lines_total:,} lines")
        elif stage == "staged":
            self.stdout.write(
                f"read {settlement.lines_done:,} lines ({settlement.invalid:,} invalid), "
                f"day {settlement.day}"
            )
        elif stage == "matched":
            self.stdout.write(
                f"matched {settlement.matched:,}, {settlement.to_apply:,} not recorded here, "
                f"{settlement.mismatched:,} amount mismatches, {settlement.missing:,} "
                "absent from the file"
            )
        elif stage == "applying":
            self.stdout.write(f"applied {settlement.applied:,} of {settlement.to_apply:,}")

    def _report(self, settlement: SettlementImport) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"settlement import {settlement.pk}: {settlement.channel.code} {settlement.day}, "
                f"{settlement.status}\n"
                f"  matched: {settlement.matched}\n"
                f"  applied: {settlement.applied}\n"
                f"  missing from the file: {settlement.missing}\n"
                f"  amount mismatches: {settlement.mismatched}\n"
                f"  invalid lines: {settlement.invalid}"
            )
        )
        for line, reason in settlement.invalid_lines:
            self.stdout.write(f"  line {line}: {reason}")
        if settlement.invalid > len(settlement.invalid_lines):
            self.stdout.write(
                f"  ... and {settlement.invalid - len(settlement.invalid_lines)} more invalid lines"
            )
