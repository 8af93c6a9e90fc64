"""The retention cohorts of a generated national slice (bench/generate.py, a year of
registrations): retention_recompute's wall time against one bare GROUP BY of the same
figures in the same run, and a check that the stored cohorts equal it.

    python bench/generate.py --database perisai_bench_scale
    python bench/retention.py --database perisai_bench_scale

The bare query is written apart from tallies/services.py, with dates rather than month
indices (PostgreSQL's ``date + interval 'k months'`` clamps to a shorter month's end as
core.dates.add_months does), so the equality check is a second derivation, not the
same SQL run twice.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record, setup_django

MONTH = "CAST(EXTRACT(YEAR FROM {0}) * 12 + EXTRACT(MONTH FROM {0}) - 1 AS integer)"


def bare_sql(months: tuple[int, ...], lapse: int) -> str:
    """Per agent, branch and registration month: registered, paid at least once, active
    k months after registration. A line's last covered month is the months paid so far
    plus the greatest (month paid - 1 - months paid before it) so far; the participant
    is active on day D when that month is at most ``lapse`` months before D's."""
    days = ",\n".join(
        f"           CAST(reg_day + INTERVAL '{k} months' AS date) AS day_{k}" for k in months
    )
    ends = ",\n".join(
        f"           MAX(l.start) FILTER (WHERE l.paid_day <= r.day_{k})"
        f" + SUM(l.months) FILTER (WHERE l.paid_day <= r.day_{k}) AS end_{k}"
        for k in months
    )
    actives = ",\n".join(
        f"       CASE WHEN cohort_month + {k} < this_month THEN"
        f" COUNT(*) FILTER (WHERE end_{k} >= cohort_month + {k} - {lapse}) END"
        for k in months
    )
    day_keys = ", ".join(f"r.day_{k}" for k in months)
    # Only numbers and fixed fragments are formatted in; the time is a parameter.
    return f"""
WITH local AS (
    SELECT r.participant_id, r.branch_id, r.agent_id,
           CAST(r.created_at AT TIME ZONE b.time_zone AS date) AS reg_day,
           {MONTH.format("CAST(%(now)s AS timestamptz) AT TIME ZONE b.time_zone")} AS this_month
    FROM enrollments_registration r JOIN agents_branch b ON b.id = r.branch_id
),
regs AS (
    SELECT participant_id, branch_id, agent_id, this_month,
           CAST(date_trunc('month', reg_day) AS date) AS cohort,
           {MONTH.format("reg_day")} AS cohort_month,
{days}
    FROM local
),
lines AS (
    SELECT pl.participant_id, pl.months,
           CAST(pl.paid_at AT TIME ZONE b.time_zone AS date) AS paid_day,
           {MONTH.format("pl.paid_at AT TIME ZONE b.time_zone")} - 1
             - SUM(pl.months) OVER (PARTITION BY pl.participant_id ORDER BY pl.paid_at, pl.id)
             + pl.months AS start
    FROM enrollments_paymentline pl JOIN agents_branch b ON b.id = pl.branch_id
    WHERE pl.reversed_at IS NULL
),
members AS (
    SELECT r.branch_id, r.agent_id, r.cohort, r.cohort_month, r.this_month,
           COUNT(l.participant_id) > 0 AS paid,
{ends}
    FROM regs r LEFT JOIN lines l ON l.participant_id = r.participant_id
    GROUP BY r.participant_id, r.branch_id, r.agent_id, r.cohort, r.cohort_month,
             r.this_month, {day_keys}
)
SELECT agent_id, branch_id, cohort, COUNT(*), COUNT(*) FILTER (WHERE paid),
{actives}
FROM members
GROUP BY agent_id, branch_id, cohort, cohort_month, this_month
"""  # noqa: S608


def timed(run: Any, repeat: int) -> tuple[float, list[float], Any]:
    """Median wall time of ``repeat`` runs after one warm-up, and the last result."""
    result = run()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_scale")
    parser.add_argument("--now", help="ISO date-time the figures are as of (default: now)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--json", type=Path, help="write the figures here, not to the docs")
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection
    from django.utils import timezone

    from enrollments import coverage
    from tallies.models import RETENTION_MONTHS, AgentRetentionCohort, RetentionCohort
    from tallies.services import retention_recompute

    now = datetime.datetime.fromisoformat(args.now) if args.now else timezone.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.UTC)
    sql = bare_sql(RETENTION_MONTHS, coverage.LAPSE_MONTHS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM enrollments_registration")
        registrations = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM enrollments_paymentline")
        payments = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM agents_branch")
        branches = cursor.fetchone()[0]
        cursor.execute("SELECT MIN(created_at), MAX(created_at) FROM enrollments_registration")
        first, last = cursor.fetchone()

        def bare() -> list[tuple[Any, ...]]:
            cursor.execute(sql, {"now": now})
            return cursor.fetchall()

        with open("/proc/loadavg") as load:
            load_before = load.read().split()[0]
        bare_seconds, bare_runs, bare_rows = timed(bare, args.repeat)
    seconds, runs, _rows = timed(lambda: retention_recompute(now=now), args.repeat)
    with open("/proc/loadavg") as load:
        load_after = load.read().split()[0]

    expected: dict[tuple[int, int, datetime.date], tuple[int | None, ...]] = {
        (agent, branch, cohort): tuple(None if v is None else int(v) for v in figures)
        for agent, branch, cohort, *figures in bare_rows
    }
    names = ("registered", "paid_once", *(f"active_{k}" for k in RETENTION_MONTHS))
    stored_agents = {
        (row["agent_id"], row["branch_id"], row["cohort"]): tuple(row[n] for n in names)
        for row in AgentRetentionCohort.objects.values("agent_id", "branch_id", "cohort", *names)
    }
    by_branch: dict[tuple[int, datetime.date], list[int | None]] = {}
    for (_agent, branch, cohort), figures in expected.items():
        total = by_branch.setdefault((branch, cohort), [0] * len(names))
        for i, value in enumerate(figures):
            known = total[i]
            total[i] = None if value is None or known is None else known + value
    stored_branches = {
        (row["branch_id"], row["cohort"]): [row[n] for n in names]
        for row in RetentionCohort.objects.values("branch_id", "cohort", *names)
    }
    matches = stored_agents == expected and stored_branches == by_branch
    cohorts = sorted({cohort for _b, cohort in by_branch})
    if not matches:
        sys.exit("the stored cohorts do not match the bare query")
    result = {
        "registrations": registrations,
        "payments": payments,
        "bare_seconds": bare_seconds,
        "seconds": seconds,
        "agent_rows": len(stored_agents),
        "branch_rows": len(stored_branches),
    }
    if args.json:
        args.json.write_text(json.dumps(result))
        return
    runs_text = ", ".join(f"{r:.2f}" for r in runs)
    bare_text = ", ".join(f"{r:.2f}" for r in bare_runs)
    record(
        f"Retention cohorts for a year ({registrations:,} registrations, {payments:,} payments)",
        f"DATABASE_URL={os.environ['DATABASE_URL'].rpartition('/')[0]}/perisai "
        f".venv/bin/python bench/retention.py --database {args.database} "
        f"--now {now.isoformat()} --repeat {args.repeat}",
        [
            f"{branches} branches; registrations from {first:%Y-%m-%d} to {last:%Y-%m-%d}; "
            f"{len(cohorts)} cohort(s) ({cohorts[0]:%Y-%m} to {cohorts[-1]:%Y-%m}) as of {now:%Y-%m-%d %H:%M} UTC",
            f"bare GROUP BY of the same figures (one SELECT, all time zones): "
            f"**{bare_seconds:.2f} s** (median of {args.repeat}: {bare_text})",
            f"retention_recompute ({len(stored_agents):,} agent rows and {len(stored_branches):,} "
            f"branch rows upserted): **{seconds:.2f} s** (median of {args.repeat}: {runs_text})",
            f"recompute / bare = **{seconds / bare_seconds:.2f}x** (target: at most 2x)",
            f"stored cohorts equal the bare figures: **{matches}**",
            f"load average (1 min) before / after: {load_before} / {load_after}",
        ],
    )


if __name__ == "__main__":
    main()
