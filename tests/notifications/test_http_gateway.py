"""The http provider against a real gateway on 127.0.0.1: slow answers, 500s, 429s,
refusals and answers that come too late. Every message ends delivered or failed (kept,
with its error); no message is delivered twice, and no id is ever in flight twice."""

import datetime
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine

from notifications import services
from notifications.models import MessageStatus, OutboundMessage
from notifications.providers import HttpProvider, Outcome
from tests.faults import free_port, wait_for
from tests.notifications.conftest import WITA, enqueue, local
from tests.notifications.gateway import FakeGateway, GatewayPartner

pytestmark = pytest.mark.django_db
TOKEN = "gw-test-token"


@pytest.fixture
def gateway(settings):
    with FakeGateway(TOKEN) as fake:
        settings.NOTIFICATIONS_PROVIDER = "http"
        settings.NOTIFICATIONS_HTTP_URL = fake.url
        settings.NOTIFICATIONS_HTTP_TOKEN = TOKEN
        settings.NOTIFICATIONS_HTTP_CONNECT_TIMEOUT = 1.0
        settings.NOTIFICATIONS_HTTP_READ_TIMEOUT = 0.5
        settings.NOTIFICATIONS_MAX_ATTEMPTS = 4
        yield fake


SCRIPTS: dict[str, list[Any]] = {
    "ok": [],
    "slow": [("slow", 0.2)],
    "500_then_ok": ["500"],
    "429_then_ok": ["429"],
    "late_then_ok": [("late", 1.0)],
    "refused": ["400"],
    "always_500": ["500"] * 10,
}


def test_every_message_ends_delivered_or_failed_and_none_twice(gateway):
    partner = GatewayPartner()
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False) as clock:
        messages = {name: enqueue(n, phone=f"08130000{n:04d}") for n, name in enumerate(SCRIPTS)}
        for name, message in messages.items():
            gateway.scripts[str(message.pk)] = list(SCRIPTS[name])
        for _round in range(6):
            services.outbox_drain(limit=50)
            wait_for(gateway.idle, 10, "the gateway has answered every request")
            waiting = OutboundMessage.objects.filter(status=MessageStatus.QUEUED)
            if not waiting.exists():
                break
            clock.move_to(max(m.next_attempt_at for m in waiting))
        # Nothing is left to send: another sweep sends nothing.
        clock.shift(datetime.timedelta(hours=1))
        before = len(gateway.requests)
        assert services.outbox_drain(limit=50).handled == 0
        assert len(gateway.requests) == before

        rows = {name: OutboundMessage.objects.get(pk=m.pk) for name, m in messages.items()}
        sent = [name for name, row in rows.items() if row.status == MessageStatus.SENT]
        assert sorted(sent) == sorted(set(SCRIPTS) - {"refused", "always_500"})
        # The receipts come back, each twice.
        for name in sent:
            for expected_change in (True, False):
                answer = partner.receipt(str(rows[name].pk))
                assert answer.status_code == 200
                assert answer.json()["changed"] is expected_change

    ids = {name: str(m.pk) for name, m in messages.items()}
    final = {name: OutboundMessage.objects.get(pk=m.pk) for name, m in messages.items()}
    assert {name: row.status for name, row in final.items()} == {
        "ok": "delivered",
        "slow": "delivered",
        "500_then_ok": "delivered",
        "429_then_ok": "delivered",
        "late_then_ok": "delivered",
        "refused": "failed",
        "always_500": "failed",
    }
    assert (final["refused"].last_error, final["refused"].attempts) == ("HTTP 400", 1)
    assert (final["always_500"].last_error, final["always_500"].attempts) == ("HTTP 500", 4)
    assert final["late_then_ok"].attempts == 2
    # What the gateway saw: each id once, but for a retry after an answer that was not
    # a 2xx (or never came); never two requests for one id at once; one delivery each.
    assert {name: gateway.received(ids[name]) for name in SCRIPTS} == {
        "ok": 1,
        "slow": 1,
        "500_then_ok": 2,
        "429_then_ok": 2,
        "late_then_ok": 2,
        "refused": 1,
        "always_500": 4,
    }
    assert gateway.overlaps == []
    assert dict(gateway.deliveries) == {ids[name]: 1 for name in sent}
    assert final["ok"].provider_message_id == f"GW-{ids['ok'][:8]}"
    for request in gateway.requests:
        assert request["authorization"] == f"Bearer {TOKEN}"
        assert set(request["body"]) == {"id", "to", "text"}
        assert request["body"]["to"].startswith("+628")


def test_a_gateway_that_is_down_is_retried(settings):
    provider = HttpProvider(
        url=f"http://127.0.0.1:{free_port()}/v1/messages",
        token=TOKEN,
        connect_timeout=0.5,
        read_timeout=0.5,
    )
    result = provider.send(message_id="x", to="+6281234567890", text="Halo")
    assert result.outcome is Outcome.RETRY
    assert result.error.startswith("connection: ")


def test_a_missing_token_stops_start_up(settings):
    from django.core import checks

    settings.NOTIFICATIONS_PROVIDER = "http"
    settings.NOTIFICATIONS_HTTP_URL = "https://gateway.example.id/v1/messages"
    settings.NOTIFICATIONS_HTTP_TOKEN = ""
    errors = [e for e in checks.run_checks() if e.id == "notifications.E001"]
    assert len(errors) == 1
    assert "NOTIFICATIONS_HTTP_TOKEN" in errors[0].msg


def test_the_token_never_reaches_a_log_or_the_row(gateway, caplog):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        message = enqueue(1)
        gateway.scripts[str(message.pk)] = ["500"]
        services.outbox_drain(limit=5)
    assert TOKEN not in caplog.text
    assert "81200000001" not in caplog.text
    assert OutboundMessage.objects.get(pk=message.pk).last_error == "HTTP 500"


def test_the_connection_is_kept_and_opened_again_when_the_gateway_drops_it():
    connections: list[socket.socket] = []

    class KeepAlive(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            connections.append(self.connection)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            raw = b'{"message_id": "GW-1"}'
            self.send_response(202)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAlive)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider = HttpProvider(
        url=f"http://127.0.0.1:{server.server_address[1]}/v1/messages",
        token=TOKEN,
        connect_timeout=1.0,
        read_timeout=1.0,
    )
    try:
        for n in range(3):
            result = provider.send(message_id=f"m{n}", to="+6281234567890", text="Halo")
            assert result.outcome is Outcome.ACCEPTED
        assert len(connections) == 1
        # The gateway drops the idle connection: the next message goes on a new one.
        connections[0].shutdown(socket.SHUT_RDWR)
        result = provider.send(message_id="m3", to="+6281234567890", text="Halo")
        assert (result.outcome, result.provider_message_id) == (Outcome.ACCEPTED, "GW-1")
        assert len(connections) == 2
    finally:
        provider.close()
        server.shutdown()
        server.server_close()
