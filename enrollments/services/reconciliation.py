"""Daily reconciliation of a channel's settlement file with the payments recorded
(DESIGN §9). A bank's answer can be lost either way: a payment the channel settled but
never reported here is applied now, through ``payment_receive`` like any other; a
payment recorded here that the channel does not list, or listed with another amount,
waits in the queue of ReconciliationIssue for staff.

The file's valid lines are staged (COPY on PostgreSQL) and matched to the payments in
one set-based pass on (channel, channel_ref). Importing a file again changes nothing:
what it applied the first time is matched the second, the applied payments' request
hash is derived from their line (a concurrent import replays), and an issue is unique
by channel, reference and kind.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, InvalidInputError
from enrollments import settlements
from enrollments.errors import ChannelRefConflictError
from enrollments.models import (
    PAYMENT_PERIODS,
    Payment,
    PaymentReversal,
    ReconciliationIssue,
    Registration,
    SettlementImport,
    SettlementLine,
)
from enrollments.services.payments import PaymentLineInput, payment_receive
from partners.models import Partner, PartnerKind, SnapClient

logger = logging.getLogger(__name__)

STAGE_CHUNK = 50_000
APPLY_CHUNK = 500
PROGRESS_EVERY_APPLIED = 100
# The report lists this many invalid lines; it counts them all.
INVALID_LISTED = 1_000

Progress = Callable[[SettlementImport, str], None]


def _file_facts(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its number of lines after the header."""
    digest = hashlib.sha256()
    newlines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
            newlines += block.count(b"\n")
            last = block[-1:]
    lines = newlines + (last != b"\n")
    return digest.hexdigest(), max(0, lines - 1)


def settlement_import_start(
    *,
    channel: Partner,
    path: Path,
    file_name: str,
    day: datetime.date | None = None,
    created_by: User | None = None,
) -> SettlementImport:
    """Records the import, running, with the file's fingerprint and size: it is visible
    (and its progress with it) before the work starts."""
    if channel.kind != PartnerKind.PAYMENT_CHANNEL:
        raise InvalidInputError(fields={"channel": [_("This partner is not a payment channel.")]})
    sha256, lines = _file_facts(path)
    return SettlementImport.objects.create(
        channel=channel,
        day=day,
        file_name=file_name[:255],
        sha256=sha256,
        lines_total=lines,
        created_by=created_by,
    )


def settlement_import_run(
    *, settlement: SettlementImport, path: Path, progress: Progress | None = None
) -> SettlementImport:
    """Reads, stages, matches and applies the file of ``settlement``, and writes its
    report. Each step commits on its own, so the import's progress shows while it runs;
    whatever stops it half-way, a run of the same file again completes it."""
    # A run that was cut short (a worker lost) starts again from the file.
    SettlementLine.objects.filter(settlement=settlement).delete()
    for name in ("matched", "to_apply", "applied", "missing", "mismatched", "invalid"):
        setattr(settlement, name, 0)
    run = _Run(settlement, progress)
    try:
        run.stage(path)
        run.match()
        run.apply()
    except settlements.SettlementFileError as exc:
        run.fail(str(exc))
    except Exception as exc:
        run.fail(f"{type(exc).__name__}: {exc}")
        raise
    else:
        run.finish()
    finally:
        SettlementLine.objects.filter(settlement=settlement).delete()
    return settlement


def settlement_reconcile(
    *,
    channel: Partner,
    path: Path,
    file_name: str | None = None,
    day: datetime.date | None = None,
    created_by: User | None = None,
    progress: Progress | None = None,
) -> SettlementImport:
    settlement = settlement_import_start(
        channel=channel, path=path, file_name=file_name or path.name, day=day, created_by=created_by
    )
    return settlement_import_run(settlement=settlement, path=path, progress=progress)


class _Run:
    def __init__(self, settlement: SettlementImport, progress: Progress | None) -> None:
        self.settlement = settlement
        self.progress = progress
        self.invalid_lines: list[list[int | str]] = []
        self.staged = 0
        self.to_apply: list[int] = []

    # Report --------------------------------------------------------------------------

    def _save(self, *fields: str, stage: str) -> None:
        SettlementImport.objects.filter(pk=self.settlement.pk).update(
            **{name: getattr(self.settlement, name) for name in fields}
        )
        if self.progress is not None:
            self.progress(self.settlement, stage)

    def _invalid(self, line_number: int, reason: str) -> None:
        self.settlement.invalid += 1
        if len(self.invalid_lines) < INVALID_LISTED:
            self.invalid_lines.append([line_number, reason])

    def fail(self, reason: str) -> None:
        self.settlement.status = SettlementImport.Status.FAILED
        self.settlement.failure = reason[:2000]
        self.settlement.finished_at = timezone.now()
        self._save("status", "failure", "finished_at", stage="failed")
        logger.warning(
            "settlement import failed",
            extra={"settlement": self.settlement.pk, "reason": reason[:200]},
        )

    def finish(self) -> None:
        settlement = self.settlement
        settlement.status = SettlementImport.Status.DONE
        settlement.finished_at = timezone.now()
        self.invalid_lines.sort()
        settlement.invalid_lines = self.invalid_lines
        self._save(
            "status",
            "finished_at",
            "matched",
            "applied",
            "missing",
            "mismatched",
            "invalid",
            "invalid_lines",
            "lines_done",
            stage="done",
        )
        logger.info(
            "settlement reconciled",
            extra={
                "settlement": settlement.pk,
                "channel": settlement.channel_id,
                "day": str(settlement.day),
                "matched": settlement.matched,
                "applied": settlement.applied,
                "missing": settlement.missing,
                "mismatched": settlement.mismatched,
                "invalid": settlement.invalid,
            },
        )

    # Staging -------------------------------------------------------------------------

    def stage(self, path: Path) -> None:
        settlement = self.settlement
        days: Counter[datetime.date] = Counter()
        count_days = settlement.day is None
        batch: list[settlements.SettlementEntry] = []
        read = 0
        # A channel's file names only its own virtual accounts (no SNAP client: none).
        service_id = (
            SnapClient.objects.filter(partner=settlement.channel)
            .values_list("partner_service_id", flat=True)
            .first()
        )
        with path.open(encoding="utf-8", newline="") as text:
            for item in settlements.settlement_lines(text, service_id):
                read += 1
                if isinstance(item, settlements.InvalidLine):
                    self._invalid(item.line_number, item.reason)
                    continue
                batch.append(item)
                if count_days:
                    days[settlements.settlement_day_of(item.paid_at)] += 1
                if len(batch) >= STAGE_CHUNK:
                    self._write(batch)
                    batch = []
                    settlement.lines_done = read
                    self._save("lines_done", "invalid", stage="staging")
        self._write(batch)
        settlement.lines_done = read
        settlement.lines_total = max(settlement.lines_total, read)
        fields = ["lines_done", "lines_total", "invalid"]
        if count_days:
            settlement.day = (
                days.most_common(1)[0][0] if days else settlements.settlement_day_of(timezone.now())
            )
            fields.append("day")
        self._drop_repeated_references()
        self._save(*fields, stage="staged")

    def _write(self, batch: Sequence[settlements.SettlementEntry]) -> None:
        if not batch:
            return
        pk = self.settlement.pk
        self.staged += len(batch)
        if connection.vendor == "postgresql":
            columns = (
                "settlement_id, line_number, reference, payment_code, participant_number, "
                "amount, paid_at"
            )
            rows = "".join(
                f"{pk}\t{entry.line_number}\t{_copy_text(entry.reference)}\t{entry.payment_code}\t"
                f"{entry.participant_number}\t{entry.amount}\t{entry.paid_at.isoformat()}\n"
                for entry in batch
            )
            with (
                connection.cursor() as cursor,
                cursor.connection.cursor() as raw,
                raw.copy(f"COPY {SettlementLine._meta.db_table} ({columns}) FROM STDIN") as copy,
            ):
                copy.write(rows)
            return
        SettlementLine.objects.bulk_create(
            [
                SettlementLine(
                    settlement_id=pk,
                    line_number=entry.line_number,
                    reference=entry.reference,
                    payment_code=entry.payment_code,
                    participant_number=entry.participant_number,
                    amount=entry.amount,
                    paid_at=entry.paid_at,
                )
                for entry in batch
            ],
            batch_size=2_000,
        )

    def _drop_repeated_references(self) -> None:
        """A reference listed twice is one payment: its first line counts, the others
        are invalid."""
        table = SettlementLine._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.line_number, first.line_number FROM {table} s "  # noqa: S608 (constant names)
                f"JOIN (SELECT reference, MIN(line_number) AS line_number FROM {table} "
                "WHERE settlement_id = %s GROUP BY reference HAVING COUNT(*) > 1) first "
                "ON first.reference = s.reference "
                "WHERE s.settlement_id = %s AND s.line_number > first.line_number",
                [self.settlement.pk, self.settlement.pk],
            )
            repeated = cursor.fetchall()
        if not repeated:
            return
        for line_number, first in repeated:
            self._invalid(
                line_number, _("The reference already appears on line %(line)d.") % {"line": first}
            )
        lines = [line for line, _first in repeated]
        for start in range(0, len(lines), 1_000):
            SettlementLine.objects.filter(
                settlement=self.settlement, line_number__in=lines[start : start + 1_000]
            ).delete()
        self.staged -= len(lines)

    # Matching ------------------------------------------------------------------------

    def match(self) -> None:
        """One pass over the staged lines joined to the channel's payments: the lines
        that match need nothing more, so only the others come back."""
        settlement = self.settlement
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.line_number, s.reference, s.amount, p.id, p.amount "  # noqa: S608 (constant names)
                f"FROM {SettlementLine._meta.db_table} s "
                f"LEFT JOIN {Payment._meta.db_table} p "
                "ON p.channel_id = %s AND p.channel_ref = s.reference "
                "WHERE s.settlement_id = %s AND (p.id IS NULL OR p.amount <> s.amount)",
                [settlement.channel_id, settlement.pk],
            )
            unmatched = cursor.fetchall()
        self.to_apply = sorted(
            line for line, _ref, _amount, payment, _rec in unmatched if payment is None
        )
        mismatched = [row for row in unmatched if row[3] is not None]
        settlement.matched = self.staged - len(unmatched)
        settlement.to_apply = len(self.to_apply)
        settlement.mismatched = len(mismatched)
        self._issues(
            ReconciliationIssue(
                kind=ReconciliationIssue.Kind.AMOUNT_MISMATCH,
                channel_ref=reference,
                payment_id=payment,
                file_amount=amount,
                recorded_amount=recorded,
            )
            for _line, reference, amount, payment, recorded in mismatched
        )
        self._missing_in_file()
        self._save("matched", "mismatched", "missing", "to_apply", stage="matched")

    def _missing_in_file(self) -> None:
        settlement = self.settlement
        assert settlement.day is not None  # noqa: S101 (set by stage)
        start, end = settlements.day_bounds(settlement.day)
        absent = (
            Payment.objects.filter(
                channel_id=settlement.channel_id, paid_at__gte=start, paid_at__lt=end
            )
            .exclude(
                Exists(
                    SettlementLine.objects.filter(
                        settlement_id=settlement.pk, reference=OuterRef("channel_ref")
                    )
                )
            )
            .exclude(Exists(PaymentReversal.objects.filter(payment=OuterRef("pk"))))
            .values_list("pk", "channel_ref", "amount")
        )
        rows = list(absent)
        settlement.missing = len(rows)
        self._issues(
            ReconciliationIssue(
                kind=ReconciliationIssue.Kind.MISSING_IN_FILE,
                channel_ref=reference,
                payment_id=payment,
                recorded_amount=amount,
            )
            for payment, reference, amount in rows
        )

    def _issues(self, issues: Iterable[ReconciliationIssue]) -> None:
        settlement = self.settlement
        assert settlement.day is not None  # noqa: S101 (set by stage)
        rows = []
        for issue in issues:
            issue.channel_id = settlement.channel_id
            issue.day = settlement.day
            issue.settlement = settlement
            rows.append(issue)
        # An issue already found (by an earlier import of this file or of a corrected
        # one) stays as it is, open or resolved.
        ReconciliationIssue.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1_000)

    # Applying ------------------------------------------------------------------------

    def apply(self) -> None:
        settlement = self.settlement
        channel = settlement.channel
        done = 0
        for start in range(0, len(self.to_apply), APPLY_CHUNK):
            chunk = list(
                SettlementLine.objects.filter(
                    settlement=settlement,
                    line_number__in=self.to_apply[start : start + APPLY_CHUNK],
                ).order_by("line_number")
            )
            by_code, by_number = _registrations_of(chunk)
            for line in chunk:
                registration = (
                    by_code.get(line.payment_code)
                    if line.payment_code
                    else by_number.get(line.participant_number)
                )
                self._apply_one(channel, line, registration)
                done += 1
                if done % PROGRESS_EVERY_APPLIED == 0:
                    self._save("applied", "matched", "mismatched", "invalid", stage="applying")

    def _apply_one(
        self, channel: Partner, line: SettlementLine, registration: Registration | None
    ) -> None:
        settlement = self.settlement
        if registration is None or not settlements.payee_is_valid(
            line.payment_code, line.participant_number
        ):
            self._invalid(
                line.line_number,
                _("No registration has this payment code.")
                if line.payment_code
                else _("No participant has this virtual account."),
            )
            return
        months, rest = divmod(line.amount, registration.monthly_total)
        if rest or months not in PAYMENT_PERIODS:
            settlement.mismatched += 1
            self._issues(
                [
                    ReconciliationIssue(
                        kind=ReconciliationIssue.Kind.AMOUNT_MISMATCH,
                        channel_ref=line.reference,
                        file_amount=line.amount,
                        detail=_(
                            "Not paid here, and not 1, 3, 6 or 12 months of Rp%(monthly)s: "
                            "not applied."
                        )
                        % {"monthly": f"{registration.monthly_total:,}"},
                    )
                ]
            )
            return
        try:
            receipt = payment_receive(
                channel=channel,
                channel_ref=line.reference,
                lines=[PaymentLineInput(registration.payment_code, line.amount, months)],
                paid_at=line.paid_at,
                request_hash=line_request_hash(line),
            )
        except ChannelRefConflictError:
            # Reported by the channel itself since the match: compare with that.
            self._recorded_meanwhile(line)
        except ApplicationError as exc:
            self._invalid(line.line_number, _reason(exc))
        else:
            if receipt.created:
                settlement.applied += 1
            else:
                settlement.matched += 1  # applied by a concurrent import of the same line

    def _recorded_meanwhile(self, line: SettlementLine) -> None:
        settlement = self.settlement
        payment = Payment.objects.get(channel_id=settlement.channel_id, channel_ref=line.reference)
        if payment.amount == line.amount:
            settlement.matched += 1
            return
        settlement.mismatched += 1
        self._issues(
            [
                ReconciliationIssue(
                    kind=ReconciliationIssue.Kind.AMOUNT_MISMATCH,
                    channel_ref=line.reference,
                    payment=payment,
                    file_amount=line.amount,
                    recorded_amount=payment.amount,
                )
            ]
        )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """``value`` as a field of COPY's text format."""
    return value.translate(_COPY_ESCAPES) if "\\" in value or not value.isprintable() else value


def _reason(exc: ApplicationError) -> str:
    details = [str(message) for messages in (exc.fields or {}).values() for message in messages]
    return "; ".join([str(exc.message), *details]) if details else str(exc.message)


def _registrations_of(
    lines: Sequence[SettlementLine],
) -> tuple[dict[str, Registration], dict[str, Registration]]:
    codes = [line.payment_code for line in lines if line.payment_code]
    numbers = [line.participant_number for line in lines if line.participant_number]
    by_code = {r.payment_code: r for r in Registration.objects.filter(payment_code__in=codes)}
    by_number = {
        r.participant.participant_number: r
        for r in Registration.objects.filter(
            participant__participant_number__in=numbers
        ).select_related("participant")
    }
    return by_code, by_number


def line_request_hash(line: SettlementLine) -> str:
    """The request hash of a payment applied from a settlement line: the same line
    imported again replays the payment instead of paying twice."""
    payee = line.payment_code or line.participant_number
    paid_at = line.paid_at.astimezone(datetime.UTC).isoformat()
    return hashlib.sha256(
        f"settlement|{line.reference}|{payee}|{line.amount}|{paid_at}".encode()
    ).hexdigest()


# Issues --------------------------------------------------------------------------------


@transaction.atomic
def reconciliation_issues_resolve(
    *, issues: Iterable[ReconciliationIssue], note: str, by: User
) -> int:
    """Marks open issues resolved with staff's note; an issue already resolved keeps
    its note. Returns how many were resolved."""
    note = note.strip()
    if not note:
        raise InvalidInputError(fields={"note": [_("Say how the issue was resolved.")]})
    return ReconciliationIssue.objects.filter(
        pk__in=[issue.pk for issue in issues], status=ReconciliationIssue.Status.OPEN
    ).update(
        status=ReconciliationIssue.Status.RESOLVED,
        note=note[:2000],
        resolved_by=by,
        resolved_at=timezone.now(),
    )
