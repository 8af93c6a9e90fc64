"""A message gateway for tests: a real HTTP server on 127.0.0.1 and a free port, in a
thread, that answers each message id by a script (slowly, with a 500, a 429, a 400, or
too late), keeps one delivery per id as a real gateway keyed by the id does, and
records every request it got. And the gateway as a partner, signing its receipts."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from rest_framework.test import APIClient

from partners import services as partner_services
from partners.models import Partner, PartnerKind
from partners.signatures import signature_header

RECEIPTS = "/api/v1/partner/notifications/receipts"


class FakeGateway:
    def __init__(self, token: str) -> None:
        self.token = token
        self.scripts: dict[str, list[Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.deliveries: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.overlaps: list[str] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                gateway.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, message_id: str) -> int:
        return sum(1 for request in self.requests if request["id"] == message_id)

    def idle(self) -> bool:
        with self.lock:
            return not +self.in_flight

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        message_id = body["id"]
        with self.lock:
            if self.in_flight[message_id]:
                self.overlaps.append(message_id)
            self.in_flight[message_id] += 1
            script = self.scripts.get(message_id, [])
            action = script.pop(0) if script else "ok"
            self.requests.append(
                {
                    "id": message_id,
                    "body": body,
                    "authorization": request.headers.get("Authorization"),
                    "action": action,
                }
            )
        try:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                self._answer(request, 401, {})
            elif action in ("500", "429", "400"):
                self._answer(request, int(action), {"error": "scripted"})
            else:
                # "ok", ("slow", s) and ("late", s) all take the message; "late" answers
                # after the client has given up.
                with self.lock:
                    self.deliveries[message_id] += 0 if message_id in self.deliveries else 1
                if isinstance(action, tuple):
                    time.sleep(action[1])
                self._answer(request, 202, {"message_id": f"GW-{message_id[:8]}"})
        finally:
            with self.lock:
                self.in_flight[message_id] -= 1

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(raw)))
            request.end_headers()
            request.wfile.write(raw)
        except OSError:
            pass  # the client gave up waiting


def signed_post(path: str, payload: Any, *, key: str, secret: str, **extra: Any):
    """A partner's signed POST, as payment channels and gateways send them."""
    raw = json.dumps(payload).encode()
    return APIClient().post(
        path,
        data=raw,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key}",
        HTTP_X_SIGNATURE=signature_header(secret, extra.pop("t", int(time.time())), raw),
        **extra,
    )


class GatewayPartner:
    """The gateway as the receipts endpoint knows it: a partner with a key and a
    signing secret."""

    def __init__(self, code: str = "SMS-GW") -> None:
        self.partner = Partner.objects.create(code=code, name=code, kind=PartnerKind.SMS_GATEWAY)
        self.key = partner_services.partner_key_create(partner=self.partner)[1]
        self.secret = partner_services.signing_secret_create(partner=self.partner)[1]

    def post(self, payload: Any, *, secret: str | None = None, path: str = RECEIPTS, **extra):
        return signed_post(path, payload, key=self.key, secret=secret or self.secret, **extra)

    def receipt(self, message_id: str, status: str = "delivered", **extra):
        return self.post({"type": "receipt", "message_id": message_id, "status": status}, **extra)
