"""Daily reconciliation of one channel-day: a settlement file of 1,000,000 lines against
a database where most of them are recorded.

    python bench/reconcile.py --database perisai_bench_reconcile [--lines 1000000]
        [--not-recorded 1000] [--absent 1000] [--mismatched 1000] [--other-days 1000000]

The database gets, by COPY, the channel-day's recorded payments (all but
``--not-recorded`` of the file's lines, plus ``--absent`` payments the file does not
list, ``--mismatched`` of them with another amount in the file) and ``--other-days``
payments of the days before; the registrations the missing lines pay for are real ones
(valid payment codes and participant numbers). Then ``settlement_reconcile`` runs on the
file, as ``manage.py reconcile_payments`` does, timed as a whole; then again on the same
file, which must change nothing. Tasks queued after commit (the fee recompute, the
receipts) go to a broker no worker reads: in production they run later, elsewhere.
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_agents, record, setup_django
from generate import copy

WIB = datetime.timezone(datetime.timedelta(hours=7))
DAY = datetime.date(2026, 10, 14)
CHANNEL = "BANK-BENCH-REC"
MONTHLY = 36_800


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f} s] {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_reconcile")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--not-recorded", type=int, default=1_000)
    parser.add_argument("--absent", type=int, default=1_000)
    parser.add_argument("--mismatched", type=int, default=1_000)
    parser.add_argument("--other-days", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.monotonic()
    os.environ.pop("REDIS_URL", None)  # a broker of its own, in memory: nothing runs the tasks
    setup_django(args.database)

    from django.db import connection

    from config.celery import app as celery_app
    from core import crypto
    from enrollments import codes, virtual_accounts
    from enrollments.models import (
        Occupation,
        Payment,
        PaymentLine,
        ReconciliationIssue,
        SettlementImport,
    )
    from enrollments.services.reconciliation import settlement_reconcile
    from partners.models import Partner, PartnerKind

    celery_app.conf.task_always_eager = False
    channel, _ = Partner.objects.get_or_create(
        code=CHANNEL, defaults={"name": "Bench reconciliation", "kind": PartnerKind.PAYMENT_CHANNEL}
    )
    agent = bench_agents(1)[0]
    branch_id, regency_id = agent.branch_id, agent.branch.regency_id  # not during a COPY
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE enrollments_reconciliationissue, enrollments_settlementimport, "
            "enrollments_settlementline, enrollments_paymentreversal, enrollments_paymentline, "
            "enrollments_payment, enrollments_sponsorship, enrollments_followupcontact, "
            "enrollments_deathreport, enrollments_registration, enrollments_participant "
            "RESTART IDENTITY CASCADE"
        )
    log("emptied the payment and registration tables", started)

    # The participants the lines not recorded here pay for, registered long before.
    payers = args.not_recorded
    occupation = Occupation.objects.order_by("pk").values_list("pk", flat=True).first()
    now = datetime.datetime.now(datetime.UTC).isoformat()
    registered = datetime.datetime(2026, 1, 5, 2, tzinfo=datetime.UTC).isoformat()
    numbers = [
        f"{n:010d}" + codes.damm_check_digit(f"{n:010d}")
        for n in range(1_000_000, 1_000_000 + payers)
    ]
    payment_codes = [f"5{n:012d}" + codes.damm_check_digit(f"5{n:012d}") for n in range(payers)]
    token = crypto.encrypt("0000000000000000")
    copy(
        "enrollments_participant",
        [
            "id",
            "created_at",
            "updated_at",
            "nik_ciphertext",
            "nik_digest",
            "nik_last4",
            "participant_number",
            "full_name",
            "birth_date",
            "sex",
            "phone",
            "regency_id",
            "address",
            "status",
            "branch_id",
            "occupation_id",
            "nik_province_code",
        ],
        (
            f"{p + 1}\t{now}\t{now}\t{token}\t{crypto.keyed_digest(f'75{p:014d}')}\t{p % 10000:04d}\t"
            f"{numbers[p]}\tPeserta {p}\t1990-01-01\tM\t+62814{p:08d}\t{regency_id}\t\t"
            f"awaiting_payment\t{branch_id}\t{occupation}\t74\n"
            for p in range(payers)
        ),
    )
    copy(
        "enrollments_registration",
        [
            "id",
            "created_at",
            "updated_at",
            "client_uuid",
            "channel",
            "captured_at",
            "consent_given",
            "consent_method",
            "consent_at",
            "declared_income",
            "includes_jht",
            "payment_period_months",
            "priced_on",
            "contribution_jkk",
            "contribution_jkm",
            "contribution_jht",
            "monthly_total",
            "amount_due",
            "reliefs_applied",
            "payment_code",
            "warnings",
            "agent_id",
            "branch_id",
            "participant_id",
        ],
        (
            f"{p + 1}\t{registered}\t{now}\t{uuid.uuid4()}\tsync\t{registered}\tt\tsignature\t"
            f"{registered}\t1000000\tt\t1\t2026-01-05\t10000\t6800\t20000\t{MONTHLY}\t{MONTHLY}\t[]\t"
            f"{payment_codes[p]}\t[]\t{agent.pk}\t{branch_id}\t{p + 1}\n"
            for p in range(payers)
        ),
    )
    log(f"{payers:,} participants and registrations", started)

    recorded_in_file = args.lines - args.not_recorded
    day_start = datetime.datetime.combine(DAY, datetime.time(), WIB)

    def moment(i: int) -> datetime.datetime:
        return day_start + datetime.timedelta(seconds=(i * 7919) % 86_400)

    def payments() -> object:
        recorded = recorded_in_file + args.absent
        for i in range(recorded):
            yield (
                f"{i + 1}\tR{i:010d}\t{MONTHLY}\t{moment(i).isoformat()}\t{now}\t-\t{{}}\t{channel.pk}\n"
            )
        for j in range(args.other_days):
            earlier = moment(j) - datetime.timedelta(days=1 + j % 60)
            yield (
                f"{recorded + j + 1}\tO{j:010d}\t{MONTHLY}\t{earlier.isoformat()}\t{now}\t-\t{{}}\t"
                f"{channel.pk}\n"
            )

    written = copy(
        "enrollments_payment",
        [
            "id",
            "channel_ref",
            "amount",
            "paid_at",
            "received_at",
            "request_hash",
            "response_body",
            "channel_id",
        ],
        payments(),  # type: ignore[arg-type]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('enrollments_payment', 'id'), %s)", [written]
        )
        for table in ("enrollments_participant", "enrollments_registration"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {payers})")
        cursor.execute("ANALYZE enrollments_payment")
    log(f"{written:,} payments recorded ({recorded_in_file + args.absent:,} on {DAY})", started)

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"{CHANNEL}-{DAY}.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write("reference,payment_code,amount,paid_at\n")
            for i in range(recorded_in_file):
                amount = MONTHLY * 3 if i < args.mismatched else MONTHLY
                out.write(
                    f"R{i:010d},{payment_codes[i % payers]},{amount},{moment(i).isoformat()}\n"
                )
            for p in range(args.not_recorded):
                payee = (
                    payment_codes[p]
                    if p % 2
                    else virtual_accounts.virtual_account_number("88899", numbers[p])
                )
                out.write(f"N{p:010d},{payee},{MONTHLY},{moment(p).isoformat()}\n")
        size = path.stat().st_size
        log(f"settlement file: {args.lines:,} lines, {size / 1e6:.1f} MB", started)

        load_before = Path("/proc/loadavg").read_text().split()[:3]
        began = time.monotonic()
        first = settlement_reconcile(channel=channel, path=path, day=DAY)
        elapsed = time.monotonic() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        log(f"reconciled in {elapsed:.1f} s", started)
        payments_after = Payment.objects.count()
        lines_after = PaymentLine.objects.count()
        issues_after = ReconciliationIssue.objects.count()

        began = time.monotonic()
        again = settlement_reconcile(channel=channel, path=path, day=DAY)
        rerun = time.monotonic() - began
        load_after = Path("/proc/loadavg").read_text().split()[:3]
        log(f"same file again in {rerun:.1f} s", started)

    expected = {
        "matched": recorded_in_file - args.mismatched,
        "applied": args.not_recorded,
        "missing": args.absent,
        "mismatched": args.mismatched,
        "invalid": 0,
    }
    got = {name: getattr(first, name) for name in expected}
    unchanged = (
        Payment.objects.count() == payments_after
        and PaymentLine.objects.count() == lines_after
        and ReconciliationIssue.objects.count() == issues_after
        and again.applied == 0
        and again.matched == recorded_in_file - args.mismatched + args.not_recorded
    )
    assert first.status == SettlementImport.Status.DONE, first.failure
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    lines = [
        f"{args.lines:,}-line settlement file ({size / 1e6:.1f} MB) for one channel-day, against "
        f"{written:,} recorded payments ({recorded_in_file + args.absent:,} on the day)",
        f"whole reconciliation (read, stage by COPY, match, {args.not_recorded:,} payments "
        f"applied through payment_receive, issues, report): **{elapsed:.1f} s** "
        f"({args.lines / elapsed:,.0f} lines/s); target ≤ 60 s: "
        + ("**met**" if elapsed <= 60 else "**not met**"),
        f"report: matched {first.matched:,}, applied {first.applied:,}, missing from the file "
        f"{first.missing:,}, amount mismatches {first.mismatched:,}, invalid {first.invalid:,} — "
        + ("as expected" if got == expected else f"**expected {expected}**"),
        f"the same file again: {rerun:.1f} s, matched {again.matched:,}, applied {again.applied}: "
        + ("nothing changed" if unchanged else "**something changed**"),
        f"peak resident memory of the process: {peak / 1e6:.0f} MB",
        f"load average before / after: {' '.join(load_before)} / {' '.join(load_after)} "
        f"(`uptime`: {uptime})",
    ]
    command = (
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai .venv/bin/python bench/reconcile.py "
        + " ".join(sys.argv[1:])
    ).strip()
    record("Daily reconciliation", command, lines)


if __name__ == "__main__":
    main()
