"""Offline sync under load: many agents at once, each posting 500-item batches to
POST /api/v1/agent/registrations/sync on gunicorn, from client threads in a second
process on loopback (authentication, validation, pricing, encryption, writes); and a
bare COPY of the same number of rows into the same tables, measured in the same run.

    python bench/sync_batches.py [--database perisai_bench_sync] [--clients 1,4,8]
        [--batches 40] [--size 500] [--workers 3] [--threads 2] [--json PATH]

Needs PostgreSQL (DATABASE_URL's server) and Redis. By default it uses a database of its
own, emptied first; given the database of a generated slice (bench/generate.py), it syncs
into that data and removes only what an earlier run of this benchmark wrote there.
With --json the figures are written to PATH instead of docs/benchmarks.md (bench/growth.py
records them).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import io
import itertools
import json
import math
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_agents,
    gunicorn,
    percentile,
    record,
    registration_item,
    setup_django,
    summary,
)

OWN_DATABASE = "perisai_bench_sync"
PORT = 8767


def clear(database: str) -> None:
    """Empties the benchmark's own database; in a generated slice, removes only the
    bench branch's registrations and participants."""
    from django.db import connection

    with connection.cursor() as cursor:
        if database == OWN_DATABASE:
            cursor.execute("TRUNCATE enrollments_registration, enrollments_participant CASCADE")
            return
        cursor.execute("SELECT id FROM agents_branch WHERE code = 'BEN'")
        row = cursor.fetchone()
        if row is None:
            return
        cursor.execute("DELETE FROM enrollments_registration WHERE branch_id = %s", [row[0]])
        cursor.execute("DELETE FROM enrollments_participant WHERE branch_id = %s", [row[0]])


class Items:
    """Sync items, each a new worker: NIKs 7471dd010190nnnn are not used by the slices
    (bench/generate.py writes 74000000nnnnnnnn), so every item is created."""

    def __init__(self, captured: str) -> None:
        self.captured = captured
        self.serial = itertools.count(1)
        self.lock = threading.Lock()

    def batch(self, size: int) -> bytes:
        with self.lock:
            serials = [next(self.serial) for _ in range(size)]
        items = [registration_item(n, self.captured, str(uuid.uuid4())) for n in serials]
        return json.dumps({"items": items}).encode()


def post_batches(token: str, items: Items, count: int, size: int, timings: list[float]) -> None:
    """One agent's app: ``count`` batches one after the other on a kept-alive connection;
    each batch is built before its clock starts."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        for _ in range(count):
            body = items.batch(size)
            started = time.perf_counter()
            connection.request("POST", "/api/v1/agent/registrations/sync", body, headers)
            response = connection.getresponse()
            payload = response.read()
            timings.append(time.perf_counter() - started)
            results = json.loads(payload)["results"] if response.status == 200 else None
            if results is None or any(result["result"] != "created" for result in results):
                raise RuntimeError(f"sync answered {response.status}: {payload[:300]!r}")
    finally:
        connection.close()


def run_level(tokens: list[str], items: Items, batches: int, size: int) -> dict[str, Any]:
    """``len(tokens)`` agents syncing at once, ``batches`` batches in all."""
    per_client = math.ceil(batches / len(tokens))
    timings: list[float] = []
    errors: list[BaseException] = []

    def client(token: str) -> None:
        try:
            post_batches(token, items, per_client, size, timings)
        except BaseException as error:  # reported once every thread has finished
            errors.append(error)

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return {
        "clients": len(tokens),
        "batches": len(timings),
        "items": len(timings) * size,
        "seconds": wall,
        "items_per_s": len(timings) * size / wall,
        "p50_ms": percentile(timings, 0.5) * 1000,
        "p95_ms": percentile(timings, 0.95) * 1000,
        "p99_ms": percentile(timings, 0.99) * 1000,
        "summary": summary(timings),
    }


def bare_copy_ms(size: int, repeats: int) -> float:
    """The same number of rows written bare: one COPY per table in one transaction,
    rolled back; the median of ``repeats``. What remains is the database's own cost of
    storing the rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from enrollments.models import Registration

    sample = Registration.objects.select_related("participant").order_by("-id")[:size]
    participants = io.StringIO()
    registrations = io.StringIO()
    now = timezone.now().isoformat()
    for index, registration in enumerate(sample):
        p = registration.participant
        key = 900_000_000 + index
        participants.write(
            "\t".join(
                [
                    str(key),
                    now,
                    now,
                    p.nik_ciphertext,
                    f"z{index:063d}",  # never a hex digest
                    p.nik_last4,
                    f"B{index:010d}",  # never a generated (all-digit) number
                    p.full_name,
                    "1990-01-01",
                    "M",
                    p.phone,
                    "7471",
                    "",
                    str(p.occupation_id),
                    str(p.branch_id),
                    "awaiting_payment",
                    p.nik_province_code,
                ]
            )
            + "\n"
        )
        registrations.write(
            "\t".join(
                [
                    str(key),
                    now,
                    now,
                    str(key),
                    str(registration.agent_id),
                    str(registration.branch_id),
                    str(uuid.uuid4()),
                    "sync",
                    now,
                    "-3.998500",
                    "122.512900",
                    "12",
                    "t",
                    "signature",
                    now,
                    "1000000",
                    "t",
                    "3",
                    "2026-11-20",
                    "10000",
                    "6800",
                    "20000",
                    "36800",
                    "110400",
                    "[]",
                    f"B{index:013d}",
                    "[]",
                ]
            )
            + "\n"
        )
    timings = []
    for _ in range(repeats):
        with connection.cursor() as cursor:
            raw = cursor.connection
            started = time.perf_counter()
            with transaction.atomic():
                with (
                    raw.cursor() as c,
                    c.copy(
                        "COPY enrollments_participant (id, created_at, updated_at, nik_ciphertext, "
                        "nik_digest, nik_last4, participant_number, full_name, birth_date, sex, phone, "
                        "regency_id, address, occupation_id, branch_id, status, nik_province_code) "
                        "FROM STDIN"
                    ) as copy,
                ):
                    copy.write(participants.getvalue())
                with (
                    raw.cursor() as c,
                    c.copy(
                        "COPY enrollments_registration (id, created_at, updated_at, participant_id, "
                        "agent_id, branch_id, client_uuid, channel, captured_at, latitude, longitude, "
                        "location_accuracy_m, consent_given, consent_method, consent_at, "
                        "declared_income, includes_jht, payment_period_months, priced_on, "
                        "contribution_jkk, contribution_jkm, contribution_jht, monthly_total, "
                        "amount_due, reliefs_applied, payment_code, warnings) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(registrations.getvalue())
                timings.append(time.perf_counter() - started)
                transaction.set_rollback(True)
    return sorted(timings)[len(timings) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=OWN_DATABASE)
    parser.add_argument("--clients", default="1,4,8", help="agents syncing at once, per level")
    parser.add_argument("--batches", type=int, default=40, help="batches per level, in all")
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per process")
    parser.add_argument("--json", type=Path, help="write the figures here, not to the docs")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["JWT_ACCESS_MINUTES"] = "240"
    setup_django(args.database)

    from django.db import connection
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import RefreshToken

    clear(args.database)
    agents = bench_agents(max(levels))
    tokens = [str(RefreshToken.for_user(agent.user).access_token) for agent in agents]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM enrollments_participant")
        participants = cursor.fetchone()[0]
    connection.close()  # not held open across the run
    items = Items((timezone.now() - datetime.timedelta(hours=3)).isoformat())

    results = []
    with gunicorn(PORT, args.workers, args.threads):
        # Warm-up, not recorded: imports and connections in every worker.
        run_level(tokens[: args.workers], items, args.workers, 50)
        for clients in levels:
            level = run_level(tokens[:clients], items, args.batches, args.size)
            results.append(level)
            print(
                f"{clients} agents at once: {level['items_per_s']:.0f} items/s, {level['summary']}",
                flush=True,
            )
    bare_ms = bare_copy_ms(args.size, repeats=5)

    if args.json:
        args.json.write_text(
            json.dumps({"participants": participants, "bare_copy_ms": bare_ms, "levels": results})
        )
        return
    lines = [
        f"{participants:,} participants in the database before the run; gunicorn {args.workers} "
        f"workers x {args.threads} threads; agents' apps as client threads on loopback, {args.batches} batches per level"
    ]
    lines.extend(
        f"{level['clients']} agents at once: {level['items']:,} items in {level['seconds']:.1f} s, "
        f"**{level['items_per_s']:.0f} items/s**; per {args.size}-item batch: {level['summary']} "
        "(target: under 2 s)"
        for level in results
    )
    lines.append(
        f"bare COPY of {args.size} participants and {args.size} registrations: {bare_ms:.0f} ms "
        f"(median of 5); one agent's batch p50 / bare COPY = **{results[0]['p50_ms'] / bare_ms:.1f}x**"
    )
    record(
        f"Registration sync, {args.size}-item batches from {args.clients} agents at once",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/sync_batches.py --database {args.database} --clients {args.clients} "
        f"--batches {args.batches} --size {args.size} --workers {args.workers} --threads {args.threads}",
        lines,
    )


if __name__ == "__main__":
    main()
