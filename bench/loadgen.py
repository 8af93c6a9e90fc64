"""An open-loop load generator: sends prepared HTTP requests at a fixed rate, each at its
scheduled time whether or not earlier ones have been answered, and measures each
latency from that scheduled time (as wrk2 does), so a server that falls behind shows
its queue in the percentiles instead of slowing the sender down. Run by
common.fixed_rate in a process of its own; not meant to be run by hand.

    python bench/loadgen.py --port 8765 --rate 200 --input requests.json --output figures.json

The input is a JSON list of raw HTTP/1.1 requests (Latin-1 text), sent in order; the
run lasts as long as the list at that rate. Connections are kept alive and opened as
needed, up to --connections at once; a request waiting for a free connection is
waiting in the server's queue as far as its latency is concerned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

TIMEOUT = 60  # seconds a request may take before it counts as failed


class Pool:
    """Kept-alive connections to one address, opened on demand up to ``limit``."""

    def __init__(self, port: int, limit: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)

    async def send(self, request: bytes) -> int:
        async with self.slots:
            reused = bool(self.idle)
            try:
                return await self._exchange(request, reuse=reused)
            except UnansweredError:
                # The server closed a kept-alive connection (idle timeout, worker recycled)
                # as it was reused, before any byte of an answer: as HTTP clients do, send
                # again on a new connection. Once an answer has begun, never resend.
                if not reused:
                    raise
                return await self._exchange(request, reuse=False)

    async def _exchange(self, request: bytes, *, reuse: bool) -> int:
        reader, writer = (
            self.idle.pop() if reuse else await asyncio.open_connection("127.0.0.1", self.port)
        )
        try:
            writer.write(request)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as error:
                if getattr(error, "partial", b""):
                    raise
                raise UnansweredError() from error
            status, keep = await read_body(head.decode("latin-1"), reader)
        except BaseException:
            writer.close()
            raise
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status


class UnansweredError(Exception):
    """The connection closed before any byte of the answer."""


async def read_body(head: str, reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status and whether the connection may be reused; the body is read and dropped."""
    lines = head.split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if status < 200 or status in (204, 304):
        pass  # no body by definition
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return status, False
    return status, headers.get("connection") != "close"


async def run(port: int, rate: float, requests: list[bytes], connections: int) -> dict[str, object]:
    pool = Pool(port, connections)
    latencies: list[float] = []
    failures = 0
    statuses: dict[str, int] = {}

    async def one(request: bytes, scheduled: float) -> None:
        nonlocal failures
        try:
            status = await asyncio.wait_for(pool.send(request), timeout=TIMEOUT)
        except Exception:  # no answer, a broken one or none in time: a failure, counted
            status = 0
        latencies.append(time.perf_counter() - scheduled)
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if not 200 <= status < 300:
            failures += 1

    tasks = []
    start = time.perf_counter()
    for index, request in enumerate(requests):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return {
        "target": rate,
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "errors": failures,
        "statuses": statuses,  # 0: no answer
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=256)
    args = parser.parse_args()
    requests = [text.encode("latin-1") for text in json.loads(args.input.read_text())]
    figures = asyncio.run(run(args.port, args.rate, requests, args.connections))
    args.output.write_text(json.dumps(figures))


if __name__ == "__main__":
    main()
