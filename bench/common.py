"""Shared by the benchmarks: Django set up against a benchmark database of its own, the
machine's facts, and appending results to docs/benchmarks.md."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def setup_django(database: str) -> None:
    """Points Django at ``database`` on the server of DATABASE_URL (created if missing,
    migrated), so a benchmark never touches the development data."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perisai")
    if not base.startswith("postgres"):
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")
    server, _, _ = base.rpartition("/")
    os.environ["DATABASE_URL"] = f"{server}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query in memory
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", database],
        capture_output=True,
        check=False,
    )

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.0f} ms, mean {statistics.mean(values) * 1000:.0f} ms"
    )


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg}"


def record(title: str, command: str, lines: list[str]) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = [f"## {title} — {stamp}", "", f"Machine: {machine()}", "", "```", command, "```", ""]
    block += [f"- {line}" for line in lines] + [""]
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmarks\n\nEach run appends its figures with the exact command that produced "
            "them. Run them on a quiet machine; the figures are for this machine only.\n\n"
        )
    with RESULTS.open("a") as out:
        out.write("\n".join(block) + "\n")
    print("\n".join(block))
