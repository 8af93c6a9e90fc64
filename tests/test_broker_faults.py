"""A broker that hangs, refuses or dies, a worker killed mid-recompute, a database that
is down: every fault on real processes of its own (tests/faults.py), never the shared
services. What must hold: a request gives up on Redis within seconds, a requested fee
recompute is never lost, and a client is told to come back later, not that it failed."""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis as redis_client
from django.db import connection
from django.test import override_settings

from core.db import advisory_key
from enrollments import services as enrollment_services
from fees.models import FeeLine, LineKind, PendingRecompute
from fees.tasks import requeue_pending_recomputes
from tests.builders import EXAMPLE, ChannelClient, active_agent, iso, pay, post, register
from tests.faults import (
    ROOT,
    PostgresCluster,
    celery_worker,
    database_url,
    free_port,
    redis_server,
    services_at,
    stop_worker,
    wait_for,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

OCTOBER = "2026-10"


def _timed(call, limit: float):
    """Runs ``call`` in a thread: a call that hangs fails the test instead of the suite."""
    outcome: dict = {}

    def run() -> None:
        started = time.monotonic()
        try:
            outcome["value"] = call()
        except Exception as exc:  # reported below
            outcome["error"] = exc
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=limit)
    assert "seconds" in outcome, f"still waiting after {limit} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"], outcome["seconds"]


def _queued(redis) -> int:
    return int(redis_client.Redis.from_url(redis.url).llen("celery"))


@pytest.mark.parametrize(("fault", "limit"), [("hang", 3.0), ("kill", 1.0)])
def test_a_payment_answers_within_seconds_with_redis_down_and_keeps_its_recompute(
    fault, limit, client_a, kendari
):
    registered = post(client_a, EXAMPLE).json()
    channel = ChannelClient()
    with redis_server() as redis, services_at(redis):
        getattr(redis, fault)()  # SIGSTOP (hung) or SIGKILL (connections refused)
        response, seconds = _timed(
            lambda: channel.pay(registered["payment_code"], 36_800, 1), limit=30
        )
        assert response.status_code == 201, response.content
        assert seconds < limit, f"the payment took {seconds:.1f} s"
        assert PendingRecompute.objects.filter(branch=kendari).exists()

        # Redis is back (empty, as after a restart): the periodic requeue queues it.
        redis.stop()
        redis.start()
        with override_settings(FEES_RECOMPUTE_OVERDUE_SECONDS=0):
            assert requeue_pending_recomputes() == 1
        assert _queued(redis) == 1
        # Queued again, the request stays until a recompute answers it.
        assert PendingRecompute.objects.filter(branch=kendari, queued_at__isnull=False).exists()


def _ledger_has_commission(agent) -> bool:
    return FeeLine.objects.filter(agent=agent, kind=LineKind.COMMISSION).exists()


@pytest.fixture
def october_payment(kendari, channel):
    """An agent whose recruit paid in October 2026, its recompute not yet run."""
    agent = active_agent(kendari, full_name="Agen Oktober")
    return agent, register(agent, 1)


def _wait_for_waiting_on_lock(key: int) -> None:
    def waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            return cursor.fetchone()[0] > 0

    wait_for(waiting, 60, "the worker's recompute waiting on the branch-month lock")


def test_a_recompute_survives_its_worker_killed_mid_run(
    october_payment, kendari, channel, tmp_path
):
    agent, registration = october_payment
    key = advisory_key(f"fees:{kendari.pk}:{OCTOBER}")
    with (
        redis_server() as redis,
        services_at(redis),
        psycopg.connect(database_url(), autocommit=True) as holder,
    ):
        # The test holds the branch-month's lock: the worker's recompute starts, takes
        # its transaction, and waits inside it, where it is killed.
        holder.execute("SELECT pg_advisory_lock(%s)", [key])
        worker = celery_worker(redis, tmp_path / "worker.log", FEES_RECOMPUTE_DEBOUNCE_SECONDS="0")
        try:
            with override_settings(FEES_RECOMPUTE_DEBOUNCE_SECONDS=0):
                pay(channel, registration, months=3, at=iso(datetime.date(2026, 10, 5)))
            _wait_for_waiting_on_lock(key)
            _kill_tree(worker)
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", [key])
        # Its task is unacknowledged in Redis until the visibility timeout (an hour);
        # the request is still recorded.
        assert not _ledger_has_commission(agent)
        assert PendingRecompute.objects.filter(branch=kendari, period=OCTOBER).exists()

        _requeued_and_completed_by_a_new_worker(redis, tmp_path / "worker.log", agent)


def _requeued_and_completed_by_a_new_worker(redis, log: Path, agent) -> None:
    """A new worker, then what beat does every minute once a request is overdue: the
    recompute is queued again and the ledger completed, the request answered."""
    worker = celery_worker(redis, log)
    try:
        with override_settings(FEES_RECOMPUTE_OVERDUE_SECONDS=0):
            assert requeue_pending_recomputes() == 1
        wait_for(lambda: _ledger_has_commission(agent), 60, "the ledger line")
        wait_for(lambda: not PendingRecompute.objects.exists(), 10, "the request answered")
    finally:
        stop_worker(worker)


def _kill_tree(worker: subprocess.Popen[bytes]) -> None:
    """kill -9 the worker and its pool processes, as the OOM killer or a lost host does."""
    children = subprocess.run(
        ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    worker.kill()
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    worker.wait(timeout=10)


def test_a_worker_holding_tasks_when_redis_is_killed_exits_non_zero_and_its_work_is_done(
    october_payment, kendari, channel, tmp_path
):
    """The worker holds the debounced recompute (its countdown not yet run) when Redis
    dies with everything queued in it. The worker must not linger half-alive: it exits
    non-zero, so what runs it (compose's ``restart: unless-stopped``) starts it again;
    the recompute is then queued again from its recorded request."""
    agent, registration = october_payment
    log = tmp_path / "worker.log"
    with redis_server() as redis, services_at(redis):
        worker = celery_worker(redis, log)
        try:
            with override_settings(FEES_RECOMPUTE_DEBOUNCE_SECONDS=120):
                pay(channel, registration, months=3, at=iso(datetime.date(2026, 10, 5)))
            wait_for(lambda: "received" in log.read_text(), 60, "the worker holding the task")
            redis.kill()
            try:
                code = worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail("the worker neither survived nor exited after Redis died")
            assert code != 0
        finally:
            stop_worker(worker)
        assert not _ledger_has_commission(agent)

        redis.start()
        _requeued_and_completed_by_a_new_worker(redis, log, agent)


def _request(
    url: str, body: dict | None = None, cookie: str = ""
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} | ({"Cookie": cookie} if cookie else {})
    request = urllib.request.Request(  # noqa: S310 - the test's own http:// server
        url, data=data, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=False)
def test_requests_get_a_503_with_retry_after_while_postgresql_is_down(tmp_path):
    cluster = PostgresCluster()
    cluster.create()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CI"}} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.port}/postgres",
    }
    server = None
    try:
        cluster.start()
        with (tmp_path / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "2",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: _up(f"{base}/healthz"), 60, "the server answering")
        assert _request(f"{base}/healthz")[0] == 200

        cluster.stop()
        sign_in = {"username": "KDI-0001", "password": "whatever-it-is"}
        status, headers, content = _request(f"{base}/api/v1/auth/token", sign_in)
        assert status == 503, content
        assert headers["Retry-After"] == "10"
        assert json.loads(content)["code"] == "unavailable"
        # A page outside the API (the admin, with a session to look up): 503 too.
        status, headers, content = _request(f"{base}/admin/", cookie="sessionid=" + "a1" * 16)
        assert (status, headers.get("Retry-After")) == (503, "10"), content

        cluster.start()  # back: the same server answers again without a restart
        wait_for(lambda: _request(f"{base}/healthz")[0] == 200, 30, "healthz after the restart")
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        cluster.remove()


def _up(url: str) -> bool:
    try:
        return _request(url)[0] in {200, 503}
    except OSError:
        return False


def test_payments_and_reversals_during_recomputes_all_reach_the_ledger(kendari, channel, tmp_path):
    """A real worker with a one-second debounce while payments keep arriving, some of
    them while the month's recompute runs: each one ends in the ledger, and every
    request is answered, without waiting for the periodic requeue."""
    agent = active_agent(kendari, full_name="Agen Ramai")
    registrations = [register(agent, n) for n in range(1, 25)]
    with redis_server() as redis, services_at(redis):
        worker = celery_worker(redis, tmp_path / "worker.log", FEES_RECOMPUTE_DEBOUNCE_SECONDS="1")
        try:

            def pay_some(share: list) -> None:
                try:
                    for registration in share:
                        pay(
                            channel,
                            registration,
                            at=iso(datetime.date(2026, 10, 5)),
                            ref=f"P-{registration.pk}",
                        )
                        time.sleep(0.15)
                finally:
                    connection.close()

            with override_settings(FEES_RECOMPUTE_DEBOUNCE_SECONDS=1):
                threads = [
                    threading.Thread(target=pay_some, args=(registrations[i::3],)) for i in range(3)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
                enrollment_services.payment_reverse(
                    channel=channel, channel_ref=f"P-{registrations[0].pk}"
                )

            def complete() -> bool:
                paid = set(
                    FeeLine.objects.filter(kind=LineKind.COMMISSION).values_list(
                        "registration", flat=True
                    )
                )
                reversed_ = FeeLine.objects.filter(kind=LineKind.REVERSAL).exists()
                return paid == {r.pk for r in registrations} and reversed_

            wait_for(complete, 60, "every payment and the reversal in the ledger")
            wait_for(lambda: not PendingRecompute.objects.exists(), 30, "every request answered")
        finally:
            stop_worker(worker)
