"""What happens when PostgreSQL or Redis goes away under the service: retried syncs end
with every row exactly once, and with Redis down workers are still registered,
permits still checked, and fee recomputes kept until the broker is back."""

import datetime
import http.client
import json
import random
import threading
import time
import urllib.parse

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from enrollments.models import Participant, Registration
from enrollments.signals import payments_changed
from fees.models import PendingRecompute
from fees.tasks import requeue_pending_recomputes
from tests.builders import EXAMPLE, SYNC, body, post


def _kill_sessions(times: int, stop: threading.Event, killed: list[int]) -> None:
    """Terminates every other session on the test database ``times`` times, at random
    moments, from a connection of its own, as a PostgreSQL restart or failover would."""
    params = connection.get_connection_params()
    rng = random.Random(20261122)
    with psycopg.connect(
        dbname=params["dbname"],
        host=params.get("host"),
        port=params.get("port"),
        user=params.get("user"),
        autocommit=True,
    ) as killer:
        while len(killed) < times and not stop.is_set():
            time.sleep(rng.uniform(0.02, 0.15))
            rows = killer.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).fetchall()
            if any(terminated for (terminated,) in rows):
                killed.append(len(rows))


def _post_json(base_url: str, path: str, payload: dict, token: str) -> tuple[int, dict]:
    server = urllib.parse.urlsplit(base_url)
    client = http.client.HTTPConnection(server.hostname or "", server.port, timeout=60)
    try:
        client.request(
            "POST",
            path,
            body=json.dumps(payload),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        response = client.getresponse()
        content = response.read()
        return response.status, json.loads(content) if response.status == 200 else {}
    finally:
        client.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sync_run_whose_connections_are_killed_ends_with_every_row_once(
    live_server, client_a, agent_a
):
    """A real server (its own threads and connections) while every session on the
    database is terminated twenty times; the app retries each batch until it is 200."""
    token = client_a._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    batches = [[body(n) for n in range(1 + 20 * b, 21 + 20 * b)] for b in range(30)]
    stop = threading.Event()
    killed: list[int] = []
    killer = threading.Thread(target=_kill_sessions, args=(20, stop, killed))
    killer.start()
    failures, results = 0, {}
    try:
        for batch in batches:
            for _ in range(100):  # the app's retry loop
                status, answer = _post_json(live_server.url, SYNC, {"items": batch}, token)
                if status == 200:
                    break
                # A terminated session is the database going away: come back later.
                assert status == 503, status
                failures += 1
            else:
                pytest.fail("a batch never got through")
            for result in answer["results"]:
                assert result["result"] in {"created", "duplicate"}, result
                results[result["client_uuid"]] = result["registration"]["id"]
    finally:
        stop.set()
        killer.join(timeout=30)
    connection.close()  # the test's own connection may have been one of the killed

    assert len(killed) >= 3, "sessions were hardly terminated: the test proved little"
    assert failures >= 3
    sent = {item["client_uuid"] for batch in batches for item in batch}
    assert set(results) == sent
    registrations = Registration.objects.filter(agent=agent_a)
    assert registrations.count() == 600
    assert set(registrations.values_list("pk", flat=True)) == set(results.values())
    assert {str(u) for u in registrations.values_list("client_uuid", flat=True)} == sent
    assert Participant.objects.count() == 600


@pytest.mark.django_db
def test_workers_are_still_registered_with_redis_down(client_a, agent_a, redis_down):
    # client_a signed in before Redis went down: sign-in needs the cache.
    response = post(client_a, EXAMPLE)
    assert response.status_code == 201, response.content
    assert Registration.objects.filter(agent=agent_a).count() == 1


@pytest.mark.django_db
def test_sign_in_is_refused_with_a_503_not_let_through_without_its_counter(
    api_client, agent_a, redis_down
):
    response = api_client.post(
        "/api/v1/auth/token",
        {"username": agent_a.code, "password": "wrong"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    assert response.json() == {
        "code": "unavailable",
        "message": "The service is temporarily unavailable. Try again shortly.",
    }


@pytest.mark.django_db
def test_a_recompute_that_cannot_be_queued_is_kept_and_queued_when_redis_is_back(
    kendari, redis_down, django_capture_on_commit_callbacks
):
    moment = timezone.now() - datetime.timedelta(days=1)
    period = timezone.localtime(moment, kendari.zone).strftime("%Y-%m")
    started = time.monotonic()
    for _ in range(2):  # the same month twice while Redis is down
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            payments_changed.send(sender=None, branch_moments={(kendari.pk, moment)})
    assert time.monotonic() - started < 2  # fails fast, does not hang the request
    assert list(PendingRecompute.objects.values_list("branch", "period").distinct()) == [
        (kendari.pk, period)
    ]


@pytest.mark.django_db
def test_overdue_requests_are_queued_again_and_kept_until_a_recompute_answers_them(
    kendari, monkeypatch
):
    now = timezone.now()
    fresh = PendingRecompute.objects.create(branch=kendari, period="2026-11")
    stale = PendingRecompute.objects.create(branch=kendari, period="2026-10")
    PendingRecompute.objects.filter(pk=stale.pk).update(
        created_at=now - datetime.timedelta(minutes=6)
    )
    queued = []
    monkeypatch.setattr("fees.tasks.recompute_branch.delay", lambda *args: queued.append(args))
    assert requeue_pending_recomputes() == 1
    assert queued == [(kendari.pk, "2026-10")]
    assert requeue_pending_recomputes() == 0  # just queued: left alone for a while
    assert PendingRecompute.objects.count() == 2  # queued is not done
    assert PendingRecompute.objects.get(pk=fresh.pk).queued_at is None
