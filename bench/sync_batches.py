"""Offline sync under load: 500-item batches through POST /api/v1/agent/registrations/sync
(in-process: authentication, validation, pricing, encryption, writes; no network), and a
bare COPY of the same number of rows into the same tables, measured in the same run.

    python bench/sync_batches.py [--batches 20] [--size 500] [--agents 4]

Needs PostgreSQL (DATABASE_URL's server); uses its own database, perisai_bench_sync.
"""

from __future__ import annotations

import argparse
import datetime
import io
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_PASSWORD, bench_agents, record, setup_django, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--agents", type=int, default=4)
    args = parser.parse_args()
    setup_django("perisai_bench_sync")

    from django.db import connection, transaction
    from django.utils import timezone
    from rest_framework.test import APIClient

    from enrollments.models import Participant, Registration

    with transaction.atomic():
        Registration.objects.all().delete()
        Participant.objects.all().delete()
    agents = bench_agents(args.agents)

    clients = []
    for agent in agents:
        client = APIClient()
        token = client.post(
            "/api/v1/auth/token",
            {"username": agent.code, "password": BENCH_PASSWORD},
            format="json",
        ).json()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access']}")
        clients.append(client)

    captured = (timezone.now() - datetime.timedelta(hours=3)).isoformat()
    serial = 0

    def item() -> dict:
        nonlocal serial
        serial += 1
        district, number = divmod(serial, 9999)
        return {
            "client_uuid": str(uuid.uuid4()),
            "nik": f"7471{district % 90 + 10:02d}0101{90:02d}{number + 1:04d}",
            "full_name": f"Pekerja {serial}",
            "birth_date": "1990-01-01",
            "sex": "M",
            "phone": f"0813{serial:08d}",
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

    timings = []
    started = time.perf_counter()
    for batch in range(args.batches):
        items = [item() for _ in range(args.size)]
        client = clients[batch % len(clients)]
        t0 = time.perf_counter()
        response = client.post("/api/v1/agent/registrations/sync", {"items": items}, format="json")
        timings.append(time.perf_counter() - t0)
        results = response.json()["results"]
        assert response.status_code == 200 and all(r["result"] == "created" for r in results), (
            results[:2]
        )
    total = time.perf_counter() - started
    items_total = args.batches * args.size

    # The same number of rows, written bare: one COPY per table, in one transaction,
    # rolled back. What remains is the database's own cost of storing the rows.
    sample = Registration.objects.select_related("participant").order_by("-id")[: args.size]
    participants = io.StringIO()
    registrations = io.StringIO()
    now = timezone.now().isoformat()
    for index, registration in enumerate(sample):
        p = registration.participant
        participants.write(
            "\t".join(
                [
                    str(10_000_000 + index),
                    now,
                    now,
                    p.nik_ciphertext,
                    f"{index:064d}",
                    p.nik_last4,
                    f"9{index:010d}",
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
                    str(10_000_000 + index),
                    now,
                    now,
                    str(10_000_000 + index),
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
                    f"8{index:013d}",
                    "[]",
                ]
            )
            + "\n"
        )
    bare = []
    for _ in range(max(3, args.batches // 4)):
        with connection.cursor() as cursor:
            raw = cursor.connection
            t0 = time.perf_counter()
            with transaction.atomic():
                with (
                    raw.cursor() as c,
                    c.copy(
                        "COPY enrollments_participant (id, created_at, updated_at, nik_ciphertext, nik_digest, "
                        "nik_last4, participant_number, full_name, birth_date, sex, phone, regency_id, address, "
                        "occupation_id, branch_id, status, nik_province_code) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(participants.getvalue())
                with (
                    raw.cursor() as c,
                    c.copy(
                        "COPY enrollments_registration (id, created_at, updated_at, participant_id, agent_id, "
                        "branch_id, client_uuid, channel, captured_at, latitude, longitude, location_accuracy_m, "
                        "consent_given, consent_method, consent_at, declared_income, includes_jht, "
                        "payment_period_months, priced_on, contribution_jkk, contribution_jkm, contribution_jht, "
                        "monthly_total, amount_due, reliefs_applied, payment_code, warnings) FROM STDIN"
                    ) as copy,
                ):
                    copy.write(registrations.getvalue())
                bare.append(time.perf_counter() - t0)
                transaction.set_rollback(True)
    bare_batch = sorted(bare)[len(bare) // 2]
    median = sorted(timings)[len(timings) // 2]

    record(
        f"Registration sync, {args.batches} batches of {args.size}",
        f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai .venv/bin/python bench/sync_batches.py "
        f"--batches {args.batches} --size {args.size} --agents {args.agents}",
        [
            f"{items_total} items in {total:.1f} s: **{items_total / total:.0f} items/s**",
            f"per {args.size}-item batch: {summary(timings)} (target: under 2 s)",
            f"bare COPY of {args.size} participants and {args.size} registrations: {bare_batch * 1000:.0f} ms "
            f"(median of {len(bare)}); sync batch / bare COPY = **{median / bare_batch:.1f}x**",
        ],
    )


if __name__ == "__main__":
    main()
