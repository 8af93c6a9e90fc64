"""Permit checks under load: gunicorn serving POST /api/v1/partner/permit-checks against
PostgreSQL with 100,000 companies (and Redis for the per-key throttle), driven by wrk
from a second process on loopback. Each request is a new check (a unique
application_ref), so each one reads the company and writes the audit row.

    python bench/permit_checks.py [--companies 100000] [--duration 20] [--connections 1,2,4,8,16]

Reports, for each number of concurrent connections, requests per second and latency
percentiles, the highest rate whose p99 stays within 150 ms, and the ratio of the
endpoint's median latency to a bare lookup of a company by NIB measured in the same run.
Needs wrk (Debian package) and PostgreSQL; uses its own database, perisai_bench_permits.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import gunicorn, record, setup_django

DATABASE = "perisai_bench_permits"
PORT = 8765
LUA = """
local counter = 0
local thread_id = 0
setup = function(thread)
  thread:set("id", math.random(1, 1000000000))
end
init = function(args)
  math.randomseed(id)
end
request = function()
  counter = counter + 1
  local nib = string.format("91%011d", math.random(0, %(companies)d - 1))
  local body = string.format(
    '{"nib":"%%s","permit_type":"izin_usaha","application_ref":"B-%%d-%%d"}', nib, id, counter)
  return wrk.format("POST", "/api/v1/partner/permit-checks", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Api-Key %(key)s",
    ["Host"] = "127.0.0.1",
  }, body)
end
"""


def load_companies(count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from core.models import Regency
    from partners.models import Company

    if Company.objects.count() >= count:
        return
    Company.objects.all().delete()
    regencies = list(Regency.objects.filter(province_id="74").values_list("code", flat=True))
    rng = random.Random(42)
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    for n in range(count):
        reported = rng.randint(1, 200)
        enrolled = reported if rng.random() < 0.7 else rng.randint(0, reported)
        npp = "" if rng.random() < 0.1 else f"NPP{n:08d}"
        buffer.write(
            f"{now}\t{now}\t91{n:011d}\t\tPT Bench {n}\t{rng.choice(regencies)}\t{npp}\t"
            f"{reported}\t{enrolled}\t{rng.choice((0, 0, 0, 1, 2, 4))}\tbench\t{now}\n"
        )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as raw,
        raw.copy(
            "COPY partners_company (created_at, updated_at, nib, npwp, name, regency_id, npp, "
            "reported_workforce, enrolled_active, arrears_months, source, source_updated_at) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.getvalue())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_company")


def bare_lookup_ms(companies: int, samples: int = 2000) -> float:
    from django.db import connection

    rng = random.Random(7)
    timings = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            nib = f"91{rng.randrange(companies):011d}"
            started = time.perf_counter()
            cursor.execute(
                "SELECT c.*, r.province_id FROM partners_company c "
                "JOIN core_regency r ON r.code = c.regency_id WHERE c.nib = %s",
                [nib],
            )
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return sorted(timings)[len(timings) // 2] * 1000


def parse_wrk(output: str) -> dict[str, float]:
    def to_ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    found = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+\w+)", output)
        found[f"p{pct}"] = to_ms(match.group(1)) if match else float("nan")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    found["errors"] = float(errors.group(1)) if errors else 0.0
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", default="1,2,4,8,16")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["PARTNER_THROTTLE_REQUESTS"] = "100000000"
    setup_django(DATABASE)

    from core.demo import REGENCY_CSV
    from core.models import Province
    from core.services import model_ensure, regencies_import, regency_csv_read
    from partners import services
    from partners.models import Partner, PartnerKind, PermitCheck

    with REGENCY_CSV.open(encoding="utf-8", newline="") as stream:
        regencies_import(rows=regency_csv_read(stream))
    load_companies(args.companies)
    office, _ = model_ensure(
        model=Partner,
        lookup={"code": "PTSP-74"},
        data={"name": "Bench office", "kind": PartnerKind.PTSP},
    )
    office.jurisdiction_provinces.add(Province.objects.get(code="74"))
    _key, raw = services.partner_key_create(partner=office, label="bench")
    PermitCheck.objects.all().delete()
    bare = bare_lookup_ms(args.companies)

    lines = [
        f"{args.companies:,} companies; gunicorn {args.workers} sync workers; wrk on loopback, {args.duration} s per level"
    ]
    best = None
    single: dict[str, float] | None = None
    with gunicorn(PORT, args.workers):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                LUA.replace("%(companies)d", str(args.companies))
                .replace("%(key)s", raw)
                .replace("%%", "%")
            )
        subprocess.run(
            ["wrk", "-t1", "-c1", "-d3s", "-s", script.name, f"http://127.0.0.1:{PORT}"],
            capture_output=True,
            check=True,
        )
        for connections in [int(c) for c in args.connections.split(",")]:
            threads = min(connections, 2)
            result = subprocess.run(
                [
                    "wrk",
                    f"-t{threads}",
                    f"-c{connections}",
                    f"-d{args.duration}s",
                    "--latency",
                    "-s",
                    script.name,
                    f"http://127.0.0.1:{PORT}",
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            figures = parse_wrk(result.stdout)
            lines.append(
                f"{connections} connections: **{figures['rps']:.0f} req/s**, p50 {figures['p50']:.1f} ms, "
                f"p90 {figures['p90']:.1f} ms, p99 {figures['p99']:.1f} ms, non-2xx {figures['errors']:.0f}"
            )
            print(lines[-1], flush=True)
            single = single or figures
            if (
                figures["p99"] <= 150
                and figures["errors"] == 0
                and (best is None or figures["rps"] > best["rps"])
            ):
                best = {**figures, "connections": connections}
    stored = PermitCheck.objects.count()
    if best and single:
        lines.append(
            f"highest rate with p99 ≤ 150 ms: **{best['rps']:.0f} req/s** ({best['connections']} connections, "
            f"p99 {best['p99']:.1f} ms)"
        )
        lines.append(
            f"bare company lookup by NIB (SQL, same database): median {bare:.2f} ms; endpoint median / "
            f"bare lookup = **{single['p50'] / bare:.0f}x** unloaded (one connection), "
            f"{best['p50'] / bare:.0f}x at the highest rate (queueing included)"
        )
    lines.append(f"{stored:,} permit checks written and stored during the run")
    record(
        "Permit checks under load",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/permit_checks.py --companies {args.companies} --duration {args.duration} "
        f"--connections {args.connections} --workers {args.workers}",
        lines,
    )


if __name__ == "__main__":
    main()
