"""Throwaway services for fault tests: a Redis of its own on a free port that a test
may stop, hang or kill, and real Celery worker processes. The shared services the suite
runs against are never signalled."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate, timeout: float, what: str) -> None:
    """Polls ``predicate`` until it holds; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"not within {timeout} s: {what}")


class Redis:
    """``redis-server`` without persistence, as the shared one: what it holds dies with
    it, which is the worst case for anything queued in it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server answering")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def hang(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


@contextmanager
def redis_server() -> Iterator[Redis]:
    redis = Redis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def forget_broker_connections() -> None:
    # Celery keeps its connection and producer pools for the app's life, and kombu keeps
    # them by URL for the process's; close and forget both, so the next task is sent
    # with the broker URL now configured and no one is handed a closed pool.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def services_at(redis: Redis) -> Iterator[None]:
    """This process's cache, broker and result backend on ``redis``, tasks really sent,
    with the timeouts the settings give every Redis client."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.result_backend, conf.task_always_eager
    conf.broker_url, conf.result_backend, conf.task_always_eager = redis.url, redis.url, False
    forget_broker_connections()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        }
    }
    try:
        with override_settings(CACHES=caches):
            yield
    finally:
        conf.broker_url, conf.result_backend, conf.task_always_eager = saved
        forget_broker_connections()


def database_url() -> str:
    """The URL of the database the tests run against (the test database)."""
    db = connection.settings_dict
    return (
        f"postgresql://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker_env(redis: Redis, **extra: str) -> dict[str, str]:
    """The environment of a worker that uses the test database and ``redis``."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis.url,
    }
    env.update(extra)
    return env


def celery_worker(redis: Redis, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    """A real worker process, as compose runs it (two processes, late acknowledgement)."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=worker_env(redis, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.kill()
        worker.wait(timeout=10)


class PostgresCluster:
    """An ``initdb`` cluster of its own under var/, on a free port."""

    def __init__(self) -> None:
        self.port = free_port()
        # Under var/, unless the tests run as root: PostgreSQL then runs as "postgres",
        # which may not be able to reach the checkout, so the cluster goes in /tmp.
        parent = Path(tempfile.gettempdir()) if os.geteuid() == 0 else ROOT / "var"
        self.directory = parent / f"perisai-pg-{self.port}"
        self.bin = Path(
            subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
        )

    def _run(self, *args: str) -> None:
        # PostgreSQL refuses to run as root; the cluster then belongs to "postgres".
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Not a pipe: the server pg_ctl starts would inherit it and hold it open.
        subprocess.run(
            prefix + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def create(self) -> None:
        self.directory.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.directory), "-A", "trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"),
            *("-D", str(self.directory), "-l", str(self.directory / "log")),
            *("-o", options, "-w", "start"),
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory), "-m", "immediate", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
