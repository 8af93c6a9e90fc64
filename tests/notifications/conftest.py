import datetime
import importlib
import threading
import zoneinfo

import pytest

from notifications import services
from notifications.models import MessageTemplate
from notifications.providers import Outcome, SendResult

SEEDED = importlib.import_module("notifications.migrations.0002_seed_templates")
WITA = "Asia/Makassar"
WIB = "Asia/Jakarta"
WIT = "Asia/Jayapura"


def local(zone: str, *args: int) -> datetime.datetime:
    """An aware moment given in a recipient's zone: local(WITA, 2026, 12, 3, 9)."""
    return datetime.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone))  # type: ignore[misc,arg-type]


def welcome_context(**changes: str) -> dict[str, str]:
    context = {
        "name": "Wa Ode Sitti",
        "participant_number": "12345678901",
        "amount": "Rp110.400",
        "months": "3",
        "payment_code": "12345678901234",
        "virtual_account": "   88888012345678901",
    }
    return context | changes


def enqueue(n: int, *, phone: str | None = None, zone: str = WITA, kind: str = "manual"):
    return services.message_enqueue(
        phone=phone or f"0812{n:08d}",
        time_zone=zone,
        kind=kind,
        dedupe_key=f"test:{n}",
        text=f"Pesan uji {n}",
    ).message


@pytest.fixture
def templates(db):
    """The seeded versions (a transactional test's flush removes the migration's rows)."""
    for kind, text in SEEDED.TEXTS.items():
        MessageTemplate.objects.get_or_create(
            kind=kind, effective_from=SEEDED.FROM, defaults={"text": text}
        )


class ScriptedProvider:
    """Answers each message id with the next outcome of its script (then accepts), and
    records every call; thread-safe."""

    def __init__(self, scripts: dict[str, list[Outcome]] | None = None) -> None:
        self.scripts = scripts or {}
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def send(self, *, message_id: str, to: str, text: str) -> SendResult:
        with self.lock:
            self.calls.append(message_id)
            script = self.scripts.get(message_id, [])
            outcome = script.pop(0) if script else Outcome.ACCEPTED
        if outcome is Outcome.ACCEPTED:
            return SendResult(outcome, provider_message_id=f"gw-{message_id[:8]}")
        return SendResult(outcome, error="HTTP 500" if outcome is Outcome.RETRY else "HTTP 400")

    def close(self) -> None:
        pass


@pytest.fixture
def provider(monkeypatch):
    scripted = ScriptedProvider()
    monkeypatch.setattr("notifications.services.sending.provider_from_settings", lambda: scripted)
    return scripted


@pytest.fixture
def eager_celery():
    """As under ``make run``: no broker, tasks run in-process when queued."""
    from config.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def no_send_tasks(monkeypatch):
    """Messages written in committed transactions queue no task: the test drains the
    outbox itself."""
    queued: list[str] = []
    monkeypatch.setattr(
        "notifications.services.outbox._queue_send",
        lambda message_id, due: queued.append(message_id),
    )
    monkeypatch.setattr("notifications.services.outbox.queue_sweep", lambda: queued.append("sweep"))
    return queued
