"""A message gateway for bench/dispatch.py: a real HTTP server on 127.0.0.1, in a thread,
that takes ``POST {id, to, text}`` with a bearer token as the http provider sends it,
answers 500 to a given share of calls (chosen at random, without taking the message),
and records, per message id, every call and every call it answered 2xx. A row of the
outbox reached the gateway exactly once when it has one 2xx answer, however many
failed calls came before it.

Standard library only; tests/notifications/gateway.py is the tests' scripted one.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class BenchGateway:
    def __init__(self, token: str, *, seed: int = 1) -> None:
        self.token = token
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.reset(failure_rate=0.0)
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            # Kept-alive connections when the client wants them; one per call otherwise.
            protocol_version = "HTTP/1.1"
            # Head and body in one segment: two small writes would wait on the client's
            # delayed ACK (Nagle), tens of milliseconds a call that no real gateway costs.
            wbufsize = 64 * 1024

            def do_POST(self) -> None:
                gateway.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> BenchGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self, *, failure_rate: float) -> None:
        with self.lock:
            self.failure_rate = failure_rate
            self.calls: Counter[str] = Counter()
            self.accepted: Counter[str] = Counter()
            self.in_flight: Counter[str] = Counter()
            self.overlaps = 0
            self.unauthorised = 0
            self.first_call: dict[str, float] = {}
            self.accepted_at: dict[str, float] = {}

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        body = json.loads(request.rfile.read(int(request.headers["Content-Length"])))
        message_id = str(body["id"])
        now = time.monotonic()
        with self.lock:
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                self.unauthorised += 1
                status = 401
            else:
                self.overlaps += 1 if self.in_flight[message_id] else 0
                self.in_flight[message_id] += 1
                self.calls[message_id] += 1
                self.first_call.setdefault(message_id, now)
                status = 500 if self.random.random() < self.failure_rate else 202
                if status == 202:
                    self.accepted[message_id] += 1
                    self.accepted_at.setdefault(message_id, now)
        try:
            answer = {"message_id": f"GW-{message_id[:8]}"} if status == 202 else {"error": "x"}
            raw = json.dumps(answer).encode()
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(raw)))
            request.end_headers()
            request.wfile.write(raw)
        except OSError:
            pass  # the client gave up waiting
        finally:
            if status != 401:
                with self.lock:
                    self.in_flight[message_id] -= 1
