"""recompute_fees for one month on a generated national slice (bench/generate.py):
wall time and peak memory of a clean run and of an idempotent rerun, against the single
SQL aggregate that computes the same per-agent commissions, in the same run; and a check
that the ledger's per-agent totals equal that aggregate.

    python bench/generate.py --database perisai_bench_month --months 1 --payments 1000000
    python bench/recompute_fees.py --database perisai_bench_month --period 2026-10
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record, setup_django

AGGREGATE = """
    SELECT pl.agent_id, (CAST(SUM(pl.amount) AS BIGINT) * %s + 500000) / 1000000 AS commission
    FROM enrollments_paymentline pl
    JOIN agents_branch b ON b.id = pl.branch_id
    WHERE pl.paid_at >= (CAST(%s AS timestamp) AT TIME ZONE b.time_zone)
      AND pl.paid_at < (CAST(%s AS timestamp) AT TIME ZONE b.time_zone)
    GROUP BY pl.agent_id
"""


def _recompute_branch(job: tuple[int, str]) -> int:
    from django.db import connection

    from fees import services

    try:
        return services.fees_recompute_branch(branch_id=job[0], period=job[1]).inserted
    finally:
        connection.close()


def fan_out(branch_ids: list[int], period: str, workers: int) -> list[int]:
    """Branches across processes, each with its own connection: what a group of
    fees.recompute_branch tasks does on that many Celery workers."""
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        return pool.map(
            _recompute_branch, [(branch_id, period) for branch_id in branch_ids], chunksize=1
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_scale")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes working branches at once, as Celery workers do with the fan-out",
    )
    parser.add_argument("--json", type=Path, help="write the figures here, not to the docs")
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection

    from core.dates import first_day, next_period
    from fees import rules, services
    from fees.models import FeeLine, LineKind

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE fees_feeline, fees_feestatement, fees_registrationflag")
        cursor.execute("SELECT COUNT(*) FROM agents_agent")
        agents = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM enrollments_paymentline")
        payments = cursor.fetchone()[0]
    scheme = services.scheme_for(args.period)
    ppm = rules.rate_ppm(scheme.commission_percent)
    bounds = [f"{first_day(args.period)} 00:00", f"{first_day(next_period(args.period))} 00:00"]

    runs = []
    with connection.cursor() as cursor:
        for _ in range(4):  # the first warms the cache; the median of the other three counts
            started = time.perf_counter()
            cursor.execute(AGGREGATE, [ppm, *bounds])
            aggregate = dict(cursor.fetchall())
            runs.append(time.perf_counter() - started)
    aggregate_seconds = sorted(runs[1:])[1]

    from agents.models import Branch

    branch_ids = list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    connection.close()  # the workers open their own
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    results = fan_out(branch_ids, args.period, args.workers)
    clean_seconds = time.perf_counter() - started
    peak_mb = (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        / 1024
    )

    started = time.perf_counter()
    rerun = fan_out(branch_ids, args.period, args.workers)
    rerun_seconds = time.perf_counter() - started

    ledger: dict[int, int] = {}
    for agent_id, amount in FeeLine.objects.filter(kind=LineKind.COMMISSION).values_list(
        "agent_id", "amount"
    ):
        ledger[agent_id] = ledger.get(agent_id, 0) + amount
    matches = ledger == aggregate
    inserted = sum(results)
    if not matches:
        sys.exit("the ledger does not match the aggregate")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "payments": payments,
                    "lines": inserted,
                    "aggregate_seconds": aggregate_seconds,
                    "seconds": clean_seconds,
                    "rerun_seconds": rerun_seconds,
                    "peak_mb": peak_mb,
                }
            )
        )
        return
    lines = [
        f"{agents:,} agents, {payments:,} payments in the database; {len(branch_ids)} branches, "
        f"recomputed by {args.workers} worker processes (the Celery fan-out, one task per branch)",
        f"bare SQL aggregate of the month's per-agent commissions: **{aggregate_seconds:.2f} s** "
        "(median of 3, warm)",
        f"recompute_fees {args.period} (clean): **{clean_seconds:.1f} s**, {inserted:,} lines written; "
        f"peak memory of the process **{peak_mb:.0f} MB** (before: {rss_before / 1024:.0f} MB)",
        f"recompute / bare aggregate = **{clean_seconds / aggregate_seconds:.1f}x**",
        f"rerun (idempotent, nothing to write): {rerun_seconds:.1f} s, {sum(rerun)} lines written",
        f"ledger per-agent commission totals equal the aggregate: **{matches}** ({len(aggregate):,} agents)",
    ]
    record(
        f"recompute_fees for a month ({payments:,} payments)",
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai .venv/bin/python bench/recompute_fees.py "
        f"--database {args.database} --period {args.period} --workers {args.workers}",
        lines,
    )


if __name__ == "__main__":
    main()
