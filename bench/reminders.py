"""The nightly reminder planning (``enrollments.services.reminders_plan``) on a
generated national slice (bench/generate.py): wall time, statements, peak memory and
messages per kind, then a rerun that must plan nothing new.

    python bench/generate.py --database perisai_bench_scale
    python bench/reminders.py --database perisai_bench_scale --at 2026-10-25T00:45+07:00

The outbox of the slice is emptied first, and the sending sweep the planning queues
after commit is not run (sending is bench/dispatch.py's). Participants of a slice generated without
phones get one each (``+62813`` and eight digits), once, before the run.
"""

from __future__ import annotations

import argparse
import datetime
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_scale")
    parser.add_argument(
        "--at",
        default="2026-10-25T00:45+07:00",
        help="the planning's moment (the beat runs it at 00:45 WIB)",
    )
    args = parser.parse_args()
    setup_django(args.database)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enrollments.services import reminders_plan
    from notifications.services import outbox

    # After commit the planning queues the sending sweep; sending is bench/dispatch.py's.
    outbox.queue_sweep = lambda: None

    now = datetime.datetime.fromisoformat(args.at)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE enrollments_participant SET phone = '+62813' || lpad(id::text, 8, '0') "
            "WHERE phone = ''"
        )
        if cursor.rowcount:
            print(f"gave {cursor.rowcount:,} participants a phone", flush=True)
            cursor.execute("VACUUM ANALYZE enrollments_participant")
        cursor.execute("TRUNCATE notifications_outboundmessage")
        cursor.execute("SELECT COUNT(*) FROM enrollments_participant")
        participants = cursor.fetchone()[0]

    with CaptureQueriesContext(connection) as statements:
        started = time.perf_counter()
        written = reminders_plan(now=now)
        seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, status, COUNT(*) FROM notifications_outboundmessage "
            "GROUP BY kind, status ORDER BY kind, status"
        )
        by_kind = cursor.fetchall()

    started = time.perf_counter()
    rewritten = reminders_plan(now=now)
    rerun_seconds = time.perf_counter() - started
    if rewritten:
        sys.exit(f"a rerun planned {rewritten} messages again")

    record(
        f"Nightly reminder planning ({participants:,} participants)",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai .venv/bin/python "
        f"bench/reminders.py --database {args.database} --at {args.at}",
        [
            f"planning at {now.isoformat()}, each zone on its own date",
            f"first run: **{seconds:.1f} s**, {written:,} messages written, "
            f"{len(statements)} SQL statements (no loop over participants)",
            f"rerun: **{rerun_seconds:.1f} s**, {rewritten} new messages",
            f"peak memory of the process: {peak_mib:.0f} MiB",
        ],
        table=[
            "| kind | status | messages |",
            "|---|---|---:|",
            *(f"| {kind} | {status} | {count:,} |" for kind, status, count in by_kind),
        ],
    )


if __name__ == "__main__":
    main()
