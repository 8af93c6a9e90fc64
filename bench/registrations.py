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
    fixed_rate,
    gunicorn,
    http_post,
    rate_sweep,
    record,
    registration_item,
    setup_django,
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
            key = str(uuid.UUID(int=n))
            requests.append(
                http_post(
                    "/api/v1/agent/registrations",
                    registration_item(n, captured, key),
                    {"Authorization": f"Bearer {tokens[n % len(tokens)]}", "Idempotency-Key": key},
                )
            )
        return requests

    lines = [
        f"{args.agents} agents; gunicorn {args.workers} workers x {args.threads} threads; "
        f"open-loop load at a fixed rate from a second process on loopback (bench/loadgen.py), "
        f"{args.duration} s per rate; every request a new worker"
    ]
    with gunicorn(PORT, args.workers, args.threads):
        # Warm-up, not recorded: imports, connections and caches in every worker.
        fixed_rate(registrations(30), 10, PORT)
        swept, _best = rate_sweep(
            registrations,
            [float(r) for r in args.rates.split(",")],
            duration=args.duration,
            port=PORT,
            p99_ms=TARGET_P99_MS,
            before_each=clear,
            after_each=lambda: f", {Registration.objects.count():,} registrations stored",
        )
    lines += swept
    record(
        "Single registrations at fixed rates",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/registrations.py --agents {args.agents} --duration {args.duration} "
        f"--rates {args.rates} --workers {args.workers} --threads {args.threads}",
        lines,
    )


if __name__ == "__main__":
    main()
