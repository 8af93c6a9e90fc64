"""The agent's follow-up work list for an agent with 5,000 recruits: GET
/api/v1/agent/follow-ups, first page (50) of each bucket, through the whole Django stack
in-process (authentication, throttling, serialisation), against PostgreSQL.

    python bench/follow_ups.py [--recruits 5000] [--requests 200]

The recruits are registered through the sync service (once; later runs reuse them),
their paid-through dates spread over the four buckets and a year ahead, and a third
of them get a contact. Reports latency percentiles per bucket and the number of queries
for page sizes 10, 50 and 200 (the same for each: the page costs no query per row).
Uses its own database, perisai_bench_follow_ups.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    BENCH_PASSWORD,
    bench_agents,
    percentile,
    record,
    registration_item,
    setup_django,
    summary,
)

DATABASE = "perisai_bench_follow_ups"
TARGET_P95_MS = 100


def load_recruits(agent: Any, count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from enrollments import services
    from enrollments.apis.agent import RegistrationInputSerializer, registration_input
    from enrollments.models import FollowUpContact, Registration

    have = Registration.objects.filter(agent=agent).count()
    captured = (timezone.now() - datetime.timedelta(days=400)).isoformat()
    validator = RegistrationInputSerializer()
    for start in range(have, count, 500):
        items = [
            registration_input(
                validator.run_validation(
                    registration_item(n, captured, str(uuid.uuid5(uuid.NAMESPACE_URL, f"fu-{n}")))
                )
            )
            for n in range(start, min(start + 500, count))
        ]
        services.registrations_register(agent=agent, items=items, channel="sync")
    today = timezone.localdate()
    rng = random.Random(7)
    ids = list(Registration.objects.filter(agent=agent).values_list("participant_id", flat=True))
    with connection.cursor() as cursor:
        for participant_id in ids:
            offset = rng.randint(-200, 365)
            paid = None if rng.random() < 0.1 else today + datetime.timedelta(days=offset)
            cursor.execute(
                "UPDATE enrollments_participant SET paid_through = %s WHERE id = %s",
                [paid, participant_id],
            )
    if not FollowUpContact.objects.filter(agent=agent).exists():
        registrations = list(Registration.objects.filter(agent=agent).order_by("pk")[::3])
        services.contacts_record(
            agent=agent,
            items=[
                services.ContactInput(
                    client_uuid=uuid.uuid4(),
                    registration_id=registration.pk,
                    contacted_at=timezone.now() - datetime.timedelta(days=1),
                    method="visit",
                    outcome="unreachable",
                )
                for registration in registrations
            ],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recruits", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup_django(DATABASE)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from enrollments import coverage

    (agent,) = bench_agents(1)
    load_recruits(agent, args.recruits)
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/token",
        {"username": agent.code, "password": BENCH_PASSWORD},
        format="json",
        HTTP_HOST="127.0.0.1",
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    lines, passed = [], True
    for bucket in coverage.FOLLOW_UP_BUCKETS:
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(
                "/api/v1/agent/follow-ups", {"bucket": bucket}, HTTP_HOST="127.0.0.1"
            )
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:300]
        count = response.json()["counts"][bucket]
        passed &= percentile(timings, 0.95) * 1000 <= TARGET_P95_MS
        lines.append(f"{bucket} ({count} recruits): {summary(timings)}")
    queries = {}
    for size in (10, 50, 200):
        with CaptureQueriesContext(connection) as captured:
            client.get(
                "/api/v1/agent/follow-ups",
                {"bucket": "arrears", "page_size": size},
                HTTP_HOST="127.0.0.1",
            )
        queries[size] = len(captured)
    lines.append(
        "queries per page: " + ", ".join(f"page_size {size}: {n}" for size, n in queries.items())
    )
    lines.append(
        f"target p95 <= {TARGET_P95_MS} ms at the first page: {'met' if passed else 'NOT met'}"
    )
    record(
        f"Follow-up work list, one agent with {args.recruits:,} recruits",
        f"python bench/follow_ups.py --recruits {args.recruits} --requests {args.requests}",
        lines,
    )


if __name__ == "__main__":
    main()
