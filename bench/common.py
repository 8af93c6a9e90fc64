"""Shared by the benchmarks: Django set up against a benchmark database of its own, the
machine's facts, and appending results to docs/benchmarks.md."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def setup_django(database: str) -> None:
    """Points Django at ``database`` on the server of DATABASE_URL (created if missing,
    migrated), so a benchmark never touches the development data."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/perisai")
    if not base.startswith("postgres"):
        sys.exit("benchmarks run against PostgreSQL: set DATABASE_URL")
    server, _, _ = base.rpartition("/")
    os.environ["DATABASE_URL"] = f"{server}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query in memory
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", database],
        capture_output=True,
        check=False,
    )

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


BENCH_PASSWORD = "Bench-password-2026!"


def bench_agents(count: int) -> list[Any]:
    """``count`` active agents of the bench branch (BEN, in Kota Kendari), created on
    first use with the password ``BENCH_PASSWORD``; existing ones are reused."""
    from agents import services as agent_services
    from agents.models import Agent, AppointedBank, Branch, Region
    from core.models import Regency

    regency, _ = Regency.objects.get_or_create(
        code="7471", defaults={"name": "Kota Kendari", "province_id": "74"}
    )
    region, _ = Region.objects.get_or_create(code="KW-BENCH", defaults={"name": "Bench"})
    branch, _ = Branch.objects.get_or_create(
        code="BEN",
        defaults={
            "name": "Bench",
            "region": region,
            "regency": regency,
            "time_zone": "Asia/Makassar",
        },
    )
    agents = list(Agent.objects.filter(branch=branch, status="active")[:count])
    while len(agents) < count:
        n = len(agents) + 1
        agent = agent_services.agent_apply(
            branch=branch,
            full_name=f"Bench {n}",
            nik=f"74710101018{n % 10}{n:04d}"[:16],
            phone=f"0819{n:08d}",  # the generated slices use 0812
            bank=AppointedBank.BNI,
            bank_account_number=f"9{n:09d}",
            password=BENCH_PASSWORD,
            by=None,
        )
        agent_services.agent_training_record(
            agent=agent, completed_on=branch.local_today(), trainer="Bench", branch=branch, by=None
        )
        agents.append(agent_services.agent_activate(agent=agent, by=None))
    return agents


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def gunicorn(port: int, workers: int, threads: int) -> Iterator[None]:
    """The project served as in production (config/gunicorn.py: gthread workers) on
    127.0.0.1:``port`` with ``workers`` processes of ``threads`` threads, on the benchmark's
    database (setup_django has set DATABASE_URL), without access log (its errors go to
    var/bench-gunicorn.log); stopped on exit. Workers are recycled every ~2,000 requests
    (max_requests), as in production, which shows in the slowest percentiles."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_TIMEOUT": "120",
    }
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"127.0.0.1:{port} is taken: another server would be measured")
    (ROOT / "var").mkdir(exist_ok=True)
    log = (ROOT / "var" / "bench-gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi:application",
            *("--config", "python:config.gunicorn"),
            *("--access-logfile", "/dev/null", "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for_port(port)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def http_post(path: str, body: Any, headers: dict[str, str]) -> bytes:
    """A raw HTTP/1.1 POST of ``body`` as JSON, for bench/loadgen.py."""
    payload = json.dumps(body).encode()
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    head.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


def fixed_rate(requests: list[bytes], rate: float, port: int) -> dict[str, Any]:
    """``requests`` sent in order at ``rate`` a second to 127.0.0.1:``port`` by
    bench/loadgen.py in a process of its own (open loop: each at its scheduled time,
    its latency counted from then). Returns the achieved rate, the latency percentiles in
    ms and the failures (non-2xx or no answer)."""
    with tempfile.TemporaryDirectory() as directory:
        source, figures = Path(directory) / "requests.json", Path(directory) / "figures.json"
        source.write_text(json.dumps([request.decode("latin-1") for request in requests]))
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "loadgen.py"),
                *("--port", str(port), "--rate", str(rate)),
                *("--input", str(source), "--output", str(figures)),
            ],
            check=True,
        )
        result: dict[str, Any] = json.loads(figures.read_text())
        return result


def failures(figures: dict[str, Any]) -> str:
    """The count of failed requests, with their statuses (0: no answer) when any."""
    failed = {code: n for code, n in figures["statuses"].items() if not code.startswith("2")}
    detail = ", ".join(f"{n} x {code}" for code, n in sorted(failed.items()))
    return f"{figures['errors']:.0f}" + (f" ({detail})" if detail else "")


def sustained(figures: dict[str, float], p99_ms: float) -> bool:
    """The rate was held (at least 95% of the target arrived), without a failure, and
    p99 stayed within ``p99_ms``."""
    return (
        figures["rps"] >= 0.95 * figures["target"]
        and figures["errors"] == 0
        and figures["p99"] <= p99_ms
    )


def rate_sweep(
    requests_for: Callable[[int], list[bytes]],
    rates: list[float],
    *,
    duration: int,
    port: int,
    p99_ms: float,
    before_each: Callable[[], None] | None = None,
    after_each: Callable[[], str] | None = None,
) -> tuple[list[str], dict[str, Any] | None]:
    """Each rate in turn for ``duration`` seconds (``requests_for(n)`` gives n new
    requests): a line per rate, then the highest rate held with p99 within ``p99_ms``.
    ``before_each`` runs before a rate, ``after_each`` adds to its line. Returns the
    lines and the figures of the highest rate held, if any."""
    lines, best = [], None
    for rate in rates:
        if before_each is not None:
            before_each()
        figures = fixed_rate(requests_for(int(rate * duration)), rate, port)
        held = sustained(figures, p99_ms)
        lines.append(
            f"{rate:.0f} req/s offered: {figures['rps']:.0f} req/s served, p50 "
            f"{figures['p50']:.0f} ms, p90 {figures['p90']:.0f} ms, p99 {figures['p99']:.0f} ms, "
            f"failures {failures(figures)}"
            + (after_each() if after_each is not None else "")
            + ("" if held else " — **not held**")
        )
        print(lines[-1], flush=True)
        if held and (best is None or figures["target"] > best["target"]):
            best = figures
    if best:
        lines.append(
            f"highest rate held with p99 ≤ {p99_ms} ms: **{best['target']:.0f} req/s** "
            f"(p99 {best['p99']:.0f} ms)"
        )
    else:
        lines.append(f"no rate was held with p99 ≤ {p99_ms} ms")
    return lines, best


def registration_item(serial: int, captured: str, client_uuid: str) -> dict[str, Any]:
    """A registration of a new worker numbered ``serial``: NIKs 7471dd010190nnnn, which
    the generated slices do not use (bench/generate.py writes 74000000nnnnnnnn)."""
    district, number = divmod(serial, 9999)
    return {
        "client_uuid": client_uuid,
        "nik": f"7471{district % 90 + 10:02d}010190{number + 1:04d}",
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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.0f} ms, mean {statistics.mean(values) * 1000:.0f} ms"
    )


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    pg = subprocess.run(
        ["psql", "-d", server, "-tAc", "SHOW server_version"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, PostgreSQL {pg}"


def record(title: str, command: str, lines: list[str], *, table: list[str] | None = None) -> None:
    """Appends a section to docs/benchmarks.md: the title with the time, the machine,
    the exact command, the figures as a list and an optional Markdown table."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = [f"## {title} — {stamp}", "", f"Machine: {machine()}", "", "```", command, "```", ""]
    block += [f"- {line}" for line in lines] + [""]
    if table:
        block += [*table, ""]
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmarks\n\nEach run appends its figures with the exact command that produced "
            "them. Run them on a quiet machine; the figures are for this machine only.\n\n"
        )
    with RESULTS.open("a") as out:
        out.write("\n".join(block) + "\n")
    print("\n".join(block))
