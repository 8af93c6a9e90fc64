"""How the costs grow with the data: the national slice at 1/4, 1/2 and 1x (generated
with bench/generate.py where it is not already there), and on each the month's fee
recompute, the day's tallies and the registration sync from several agents at once,
each against its bare SQL in the same run. One table, appended to docs/benchmarks.md.

    python bench/growth.py [--fractions 4,2,1] [--clients 4] [--regenerate]

1x is 20,000 agents over 120 branches, 1,000,000 participants, 3,000,000 payments over
12 months and 100,000 companies; the fee recompute is for October 2026 (about a twelfth
of the payments), the tallies for 15 October 2026. Needs PostgreSQL and Redis; the slices
are the databases perisai_bench_scale_1of4, perisai_bench_scale_1of2 and
perisai_bench_scale. From nothing, about 25 minutes on a 2-core machine, most of it the
generation.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, record

FULL = {
    "branches": 120,
    "agents": 20_000,
    "participants": 1_000_000,
    "months": 12,
    "payments": 3_000_000,
    "companies": 100_000,
}
PERIOD = "2026-10"
DAY = "2026-10-15"


def database(fraction: int) -> str:
    return "perisai_bench_scale" if fraction == 1 else f"perisai_bench_scale_1of{fraction}"


def size(fraction: int) -> dict[str, int]:
    return {
        key: value if key in ("branches", "months") else value // fraction
        for key, value in FULL.items()
    }


def psql(name: str, query: str) -> str | None:
    result = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", name, "-tAc", query],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def has_slice(name: str, expected: dict[str, int]) -> bool:
    """The slice is there when its payment lines number what the generator writes for
    this size (the benchmarks add registrations, never payments)."""
    return psql(name, "SELECT COUNT(*) FROM enrollments_paymentline") == str(expected["payments"])


def python(script: str, *arguments: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, str(ROOT / "bench" / script), *arguments, "--json", out.name]
        print("$", " ".join(command[1:]), flush=True)
        subprocess.run(command, check=True, cwd=ROOT, env=os.environ)
        return json.loads(Path(out.name).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fractions", default="4,2,1", help="sizes, as 1/n of the full slice")
    parser.add_argument("--clients", type=int, default=4, help="agents syncing at once")
    parser.add_argument("--batches", type=int, default=40, help="sync batches per size")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="fee recompute processes"
    )
    parser.add_argument("--regenerate", action="store_true", help="generate even if present")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perisai")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    fractions = [int(f) for f in args.fractions.split(",")]

    rows = []
    for fraction in fractions:
        name, expected = database(fraction), size(fraction)
        if args.regenerate or not has_slice(name, expected):
            python_args = [f"--{key}={value}" for key, value in expected.items()]
            command = [sys.executable, str(ROOT / "bench" / "generate.py"), "--database", name]
            print("$", " ".join([*command[1:], *python_args]), flush=True)
            subprocess.run([*command, *python_args], check=True, cwd=ROOT, env=os.environ)
        fees = python(
            "recompute_fees.py",
            *("--database", name, "--period", PERIOD, "--workers", str(args.workers)),
        )
        tallies = python("recompute_tallies.py", "--database", name, "--day", DAY)
        sync = python(
            "sync_batches.py",
            *("--database", name, "--clients", str(args.clients)),
            *("--batches", str(args.batches)),
        )
        rows.append((fraction, fees, tallies, sync))

    lines = [
        "| data | participants | payment lines (fee lines in the month) | recompute_fees | bare aggregate "
        "| recompute_tallies | bare GROUP BYs | sync items/s | sync batch p50 / p99 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fraction, fees, tallies, sync in rows:
        level = sync["levels"][0]
        lines.append(
            f"| {'1x' if fraction == 1 else f'1/{fraction}'} | {size(fraction)['participants']:,} "
            f"| {fees['payments']:,} ({fees['lines']:,}) | {fees['seconds']:.1f} s "
            f"| {fees['aggregate_seconds']:.2f} s | {tallies['seconds']:.2f} s "
            f"| {tallies['bare_seconds']:.2f} s | {level['items_per_s']:.0f} "
            f"| {level['p50_ms']:.0f} / {level['p99_ms']:.0f} ms |"
        )
    notes = []
    for (f_small, fees_s, tallies_s, sync_s), (f_big, fees_b, tallies_b, sync_b) in pairwise(rows):
        data = f_small / f_big
        notes.append(
            f"from 1/{f_small} to {'1x' if f_big == 1 else f'1/{f_big}'} ({data:.0f}x the data): "
            f"fees x{fees_b['seconds'] / fees_s['seconds']:.2f}, "
            f"tallies x{tallies_b['seconds'] / tallies_s['seconds']:.2f}, "
            f"sync batch p50 x{sync_b['levels'][0]['p50_ms'] / sync_s['levels'][0]['p50_ms']:.2f}"
        )
    ratios = [
        f"{'1x' if fraction == 1 else f'1/{fraction}'}: fees / bare "
        f"{fees['seconds'] / fees['aggregate_seconds']:.1f}x, tallies / bare "
        f"{tallies['seconds'] / tallies['bare_seconds']:.1f}x, sync p50 / bare COPY "
        f"{sync['levels'][0]['p50_ms'] / sync['bare_copy_ms']:.1f}x"
        for fraction, fees, tallies, sync in rows
    ]
    text = [
        f"slices of 1/n of {FULL['agents']:,} agents, {FULL['participants']:,} participants, "
        f"{FULL['payments']:,} payments over {FULL['months']} months and {FULL['companies']:,} "
        f"companies in {FULL['branches']} branches; fees for {PERIOD} on {args.workers} worker "
        f"processes, tallies for {DAY} (median of 5), sync from {args.clients} agents at once "
        f"({args.batches} batches of 500) against gunicorn as configured for production",
        *notes,
        *ratios,
    ]
    record(
        "Growth: fees, tallies and sync at "
        + ", ".join("1x" if f == 1 else f"1/{f}" for f in fractions),
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/growth.py --fractions {args.fractions} --clients {args.clients} "
        f"--batches {args.batches} --workers {args.workers}",
        text,
        table=lines,
    )


if __name__ == "__main__":
    main()
