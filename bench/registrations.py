"""Single registrations at fixed request rates: gunicorn serving POST
/api/v1/agent/registrations (one worker registered per request, as an app with signal
sends them one by one) from many agents at once, loaded at a fixed arrival rate per level from a second process
on loopback (bench/loadgen.py, open loop). Every request is a
new worker (a new NIK, client_uuid and Idempotency-Key), so each one validates, prices,
encrypts and writes the participant, the registration and the idempotency record.

    python bench/registrations.py [--agents 50] [--duration 15] [--rates 25,50,75,100,125,150]

Reports, for each rate, the achieved rate and latency percentiles, and the highest rate
held with p99 within 300 ms. Needs PostgreSQL and Redis; uses its own database,
perisai_bench_registrations.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_agents,
    failures,
    fixed_rate,
    gunicorn,
    http_post,
    record,
    setup_django,
    sustained,
)

DATABASE = "perisai_bench_registrations"
PORT = 8766
TARGET_P99_MS = 300


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
    parser.add_argument("--duration", type=int, default=15, help="seconds per rate")
    parser.add_argument("--rates", default="25,50,75,100,125,150", help="requests a second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per process")
    args = parser.parse_args()
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
    serial = itertools.count(1)

    def registrations(count: int) -> list[bytes]:
        """``count`` single registrations, each a new worker, from the agents in turn."""
        requests = []
        for _ in range(count):
            n = next(serial)
            district, number = divmod(n, 9999)
            key = str(uuid.UUID(int=n))
            requests.append(
                http_post(
                    "/api/v1/agent/registrations",
                    {
                        "client_uuid": key,
                        "nik": f"7471{district % 90 + 10:02d}010190{number + 1:04d}",
                        "full_name": "Pekerja Bench",
                        "birth_date": "1990-01-01",
                        "sex": "M",
                        "phone": f"0813{n:08d}",
                        "regency_code": "7471",
                        "address": "Jl. Bench",
                        "occupation": "fisher",
                        "declared_income": 1_000_000,
                        "programs": ["JKK", "JKM", "JHT"],
                        "payment_period_months": 3,
                        "consent": {"given": True, "method": "signature", "at": captured},
                        "captured_at": captured,
                        "location": {"lat": -3.9985, "lng": 122.5129, "accuracy_m": 12},
                    },
                    {"Authorization": f"Bearer {tokens[n % len(tokens)]}", "Idempotency-Key": key},
                )
            )
        return requests

    lines = [
        f"{args.agents} agents; gunicorn {args.workers} workers x {args.threads} threads; "
        f"open-loop load at a fixed rate from a second process on loopback (bench/loadgen.py), "
        f"{args.duration} s per rate; every request a new worker"
    ]
    best = None
    with gunicorn(PORT, args.workers, args.threads):
        # Warm-up, not recorded: imports, connections and caches in every worker.
        fixed_rate(registrations(30), 10, PORT)
        for rate in [float(r) for r in args.rates.split(",")]:
            clear()
            figures = fixed_rate(registrations(int(rate * args.duration)), rate, PORT)
            held = sustained(figures, TARGET_P99_MS)
            stored = Registration.objects.count()
            lines.append(
                f"{rate:.0f} req/s offered: {figures['rps']:.0f} req/s served, p50 "
                f"{figures['p50']:.0f} ms, p90 {figures['p90']:.0f} ms, p99 {figures['p99']:.0f} ms, "
                f"failures {failures(figures)}, {stored:,} registrations stored"
                + ("" if held else " — **not held**")
            )
            print(lines[-1], flush=True)
            if held and (best is None or figures["target"] > best["target"]):
                best = figures
    if best:
        lines.append(
            f"highest rate held with p99 ≤ {TARGET_P99_MS} ms: **{best['target']:.0f} req/s** "
            f"(p99 {best['p99']:.0f} ms)"
        )
    else:
        lines.append(f"no rate was held with p99 ≤ {TARGET_P99_MS} ms")
    record(
        "Single registrations at fixed rates",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/registrations.py --agents {args.agents} --duration {args.duration} "
        f"--rates {args.rates} --workers {args.workers} --threads {args.threads}",
        lines,
    )


if __name__ == "__main__":
    main()
