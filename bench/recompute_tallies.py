"""recompute_tallies for one day on a generated national slice (bench/generate.py):
wall time, against the bare GROUP BY queries of the same figures in the same run, and
a check that the stored tally equals them.

    python bench/generate.py --database perisai_bench_scale --months 12 --payments 3000000
    python bench/recompute_tallies.py --database perisai_bench_scale --day 2026-10-15
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record, setup_django

# The same figures, straight GROUP BYs per branch, each day bound in the branch's zone.
BARE = """
WITH bounds AS (
    SELECT b.id AS branch_id,
           (CAST(%(day)s AS timestamp) AT TIME ZONE b.time_zone) AS day_start,
           (CAST(%(next)s AS timestamp) AT TIME ZONE b.time_zone) AS day_end,
           (CAST(%(month)s AS timestamp) AT TIME ZONE b.time_zone) AS month_start
    FROM agents_branch b
),
registrations AS (
    SELECT r.branch_id, COUNT(*) AS n FROM enrollments_registration r JOIN bounds USING (branch_id)
    WHERE r.created_at >= day_start AND r.created_at < day_end GROUP BY r.branch_id
),
activations AS (
    SELECT p.branch_id, COUNT(*) AS n FROM enrollments_participant p JOIN bounds USING (branch_id)
    WHERE p.activated_at >= day_start AND p.activated_at < day_end GROUP BY p.branch_id
),
stock AS (
    SELECT p.branch_id,
           COUNT(*) FILTER (WHERE p.paid_through >= %(cutoff)s) AS active,
           COUNT(*) FILTER (WHERE p.paid_through < %(cutoff)s) AS non_active
    FROM enrollments_participant p JOIN bounds USING (branch_id)
    WHERE p.activated_at < day_end GROUP BY p.branch_id
),
contributions AS (
    SELECT pl.branch_id, SUM(pl.amount) AS total FROM enrollments_paymentline pl JOIN bounds USING (branch_id)
    WHERE pl.paid_at >= day_start AND pl.paid_at < day_end AND pl.reversed_at IS NULL GROUP BY pl.branch_id
),
agents_then AS (
    SELECT a.branch_id, COUNT(*) AS n FROM agents_agent a JOIN bounds USING (branch_id)
    WHERE a.activated_at < day_end
      AND (a.deactivated_at IS NULL OR a.deactivated_at >= day_end OR a.status = 'active')
      AND NOT (a.status = 'terminated' AND a.status_changed_at < day_end)
    GROUP BY a.branch_id
),
productive AS (
    SELECT a.branch_id, COUNT(*) AS n FROM agents_agent a JOIN bounds USING (branch_id)
    WHERE EXISTS (SELECT 1 FROM enrollments_registration r WHERE r.agent_id = a.id
                  AND r.created_at >= month_start AND r.created_at < day_end)
       OR EXISTS (SELECT 1 FROM enrollments_paymentline pl WHERE pl.agent_id = a.id
                  AND pl.paid_at >= month_start AND pl.paid_at < day_end AND pl.reversed_at IS NULL)
    GROUP BY a.branch_id
)
SELECT b.id, COALESCE(registrations.n, 0), COALESCE(activations.n, 0), COALESCE(stock.active, 0),
       COALESCE(stock.non_active, 0), COALESCE(contributions.total, 0), COALESCE(agents_then.n, 0),
       COALESCE(productive.n, 0)
FROM agents_branch b
LEFT JOIN registrations ON registrations.branch_id = b.id
LEFT JOIN activations ON activations.branch_id = b.id
LEFT JOIN stock ON stock.branch_id = b.id
LEFT JOIN contributions ON contributions.branch_id = b.id
LEFT JOIN agents_then ON agents_then.branch_id = b.id
LEFT JOIN productive ON productive.branch_id = b.id
ORDER BY b.id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_scale")
    parser.add_argument("--day", default="2026-10-15")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the median counts")
    parser.add_argument("--json", type=Path, help="write the figures here, not to the docs")
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection

    from enrollments import coverage
    from tallies.models import DailyTally
    from tallies.services import tallies_recompute

    day = datetime.date.fromisoformat(args.day)
    params: dict[str, Any] = {
        "day": f"{day} 00:00",
        "next": f"{day + datetime.timedelta(days=1)} 00:00",
        "month": f"{day.replace(day=1)} 00:00",
        "cutoff": coverage.lapse_cutoff(day),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM enrollments_participant")
        participants = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM enrollments_paymentline")
        payments = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM agents_branch")
        branches = cursor.fetchone()[0]
        cursor.execute(BARE, params)  # warm the cache, as the later runs of each will be
        bare_runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            cursor.execute(BARE, params)
            bare_rows = cursor.fetchall()
            bare_runs.append(time.perf_counter() - started)
    bare_seconds = statistics.median(bare_runs)

    tallies_recompute(day=day)  # warm-up
    runs = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        written = tallies_recompute(day=day)
        runs.append(time.perf_counter() - started)
    seconds = statistics.median(runs)

    stored = {
        t.branch_id: (
            t.new_registrations,
            t.new_activations,
            t.active_participants,
            t.non_active_participants,
            t.contributions_received,
            t.active_agents,
            t.productive_agents,
        )
        for t in DailyTally.objects.filter(date=day)
    }
    matches = stored == {row[0]: tuple(int(v) for v in row[1:]) for row in bare_rows}
    if not matches:
        sys.exit("the tallies do not match the bare queries")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "participants": participants,
                    "payments": payments,
                    "bare_seconds": bare_seconds,
                    "seconds": seconds,
                }
            )
        )
        return
    record(
        f"recompute_tallies for a day ({participants:,} participants, {payments:,} payments)",
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai .venv/bin/python bench/recompute_tallies.py "
        f"--database {args.database} --day {args.day} --repeat {args.repeat}",
        [
            f"{branches} branches; day {day}",
            f"bare GROUP BY queries of the same figures (one statement): **{bare_seconds:.2f} s** "
            f"(median of {args.repeat})",
            f"recompute_tallies (one pass, {written} branch rows upserted): **{seconds:.2f} s** "
            f"(median of {args.repeat})",
            f"recompute / bare = **{seconds / bare_seconds:.1f}x**",
            f"stored tallies equal the bare figures: **{matches}**",
        ],
    )


if __name__ == "__main__":
    main()
