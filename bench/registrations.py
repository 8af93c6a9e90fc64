"""Single registrations under load: gunicorn serving POST /api/v1/agent/registrations
(one worker registered per request, as an app with signal sends them one by one), many
agents at once, driven by wrk from a second process on loopback. Every request is a new
worker (a new NIK, client_uuid and Idempotency-Key), so each one validates, prices,
encrypts and writes the participant, the registration and the idempotency record.

    python bench/registrations.py [--agents 50] [--duration 15] [--connections 1,2,4,8,16]

Reports, for each number of concurrent connections, requests per second and latency
percentiles, and the highest rate whose p99 stays within 300 ms. Needs wrk (Debian
package) and PostgreSQL; uses its own database, perisai_bench_registrations.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_agents, gunicorn, record, setup_django
from permit_checks import parse_wrk

DATABASE = "perisai_bench_registrations"
PORT = 8766
# Each wrk thread numbers its requests; thread t uses NIK districts 10+20t .. 29+20t,
# so no two requests in a run share a NIK, a client_uuid or an idempotency key.
LUA = """
local tokens = {TOKENS}
local template = [[TEMPLATE]]
local next_thread = 0
setup = function(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end
local counter = 0
request = function()
  counter = counter + 1
  local district = 10 + thread_number * 20 + math.floor(counter / 9999)
  local nik = string.format("7471%02d010190%04d", district, counter % 9999 + 1)
  local id = string.format("00000000-0000-4%03d-8000-%012d", thread_number, counter)
  local phone = string.format("0813%d%07d", thread_number, counter)
  local body = template:gsub("NIK_HERE", nik):gsub("UUID_HERE", id):gsub("PHONE_HERE", phone)
  return wrk.format("POST", "/api/v1/agent/registrations", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1],
    ["Idempotency-Key"] = id,
    ["Host"] = "127.0.0.1",
  }, body)
end
"""


def clear() -> None:
    from django.db import connection

    from core.models import IdempotencyRecord
    from enrollments.models import Participant, Registration

    tables = [model._meta.db_table for model in (Registration, Participant, IdempotencyRecord)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", default="1,2,4,8,16")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["JWT_ACCESS_MINUTES"] = "120"
    setup_django(DATABASE)

    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    from enrollments.models import Registration

    clear()
    agents = bench_agents(args.agents)
    tokens = [str(RefreshToken.for_user(agent.user).access_token) for agent in agents]

    captured = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    template = json.dumps(
        {
            "client_uuid": "UUID_HERE",
            "nik": "NIK_HERE",
            "full_name": "Pekerja Bench",
            "birth_date": "1990-01-01",
            "sex": "M",
            "phone": "PHONE_HERE",
            "regency_code": "7471",
            "address": "Jl. Bench",
            "occupation": "fisher",
            "declared_income": 1_000_000,
            "programs": ["JKK", "JKM", "JHT"],
            "payment_period_months": 3,
            "consent": {"given": True, "method": "signature", "at": captured},
            "captured_at": captured,
            "location": {"lat": -3.9985, "lng": 122.5129, "accuracy_m": 12},
        }
    )
    script_text = LUA.replace(
        "{TOKENS}", "{" + ",".join(f'"{token}"' for token in tokens) + "}"
    ).replace("TEMPLATE", template)

    lines = [
        f"{args.agents} agents; gunicorn {args.workers} sync workers; wrk on loopback, "
        f"{args.duration} s per level; every request a new worker"
    ]
    best = None
    with gunicorn(PORT, args.workers):
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(script_text)
        # Warm-up, not recorded: imports, connections, caches in both workers.
        subprocess.run(
            ["wrk", "-t2", "-c2", "-d3s", "-s", script.name, f"http://127.0.0.1:{PORT}"],
            capture_output=True,
            check=True,
        )
        for connections in [int(c) for c in args.connections.split(",")]:
            # A fresh set of numbers per level: clear what the previous level wrote,
            # once the requests wrk left in flight have finished.
            time.sleep(1)
            clear()
            result = subprocess.run(
                [
                    "wrk",
                    f"-t{min(connections, 2)}",
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
            stored = Registration.objects.count()
            lines.append(
                f"{connections} connections: **{figures['rps']:.0f} req/s**, p50 {figures['p50']:.1f} ms, "
                f"p90 {figures['p90']:.1f} ms, p99 {figures['p99']:.1f} ms, non-2xx "
                f"{figures['errors']:.0f}, {stored:,} registrations stored"
            )
            print(lines[-1], flush=True)
            if (
                figures["p99"] <= 300
                and figures["errors"] == 0
                and (best is None or figures["rps"] > best["rps"])
            ):
                best = {**figures, "connections": connections}
    if best:
        lines.append(
            f"highest rate with p99 ≤ 300 ms: **{best['rps']:.0f} req/s** "
            f"({best['connections']} connections, p99 {best['p99']:.1f} ms)"
        )
    else:
        lines.append("no level kept p99 within 300 ms without errors")
    record(
        "Single registrations under load",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/registrations.py --agents {args.agents} --duration {args.duration} "
        f"--connections {args.connections} --workers {args.workers}",
        lines,
    )


if __name__ == "__main__":
    main()
