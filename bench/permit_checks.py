"""Permit checks at fixed request rates: gunicorn serving POST
/api/v1/partner/permit-checks against PostgreSQL with 100,000 companies (and Redis for
the per-key throttle), loaded at a fixed arrival rate per level from a second process
on loopback (bench/loadgen.py, open loop). Each request is a new check (a unique
application_ref), so each one reads the company and writes the audit row.

    python bench/permit_checks.py [--companies 100000] [--duration 20]
        [--rates 100,200,300,400,500,600]

Reports, for each rate, the achieved rate and latency percentiles, the highest rate held
with p99 within 150 ms, and the ratio of the endpoint's median latency to a bare lookup
of a company by NIB measured in the same run. Needs PostgreSQL and Redis; uses its own
database, perisai_bench_permits.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import fixed_rate, gunicorn, http_post, rate_sweep, record, setup_django

DATABASE = "perisai_bench_permits"
PORT = 8765
TARGET_P99_MS = 150


def load_companies(count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from core.models import Regency
    from partners.models import Company

    if Company.objects.count() >= count:
        return
    with connection.cursor() as cursor:  # the checks of earlier runs point at the companies
        cursor.execute("TRUNCATE partners_permitcheck, partners_company")
    regencies = list(Regency.objects.filter(province_id="74").values_list("code", flat=True))
    rng = random.Random(42)
    now = timezone.now().isoformat()
    buffer = io.StringIO()
    for n in range(count):
        reported = rng.randint(1, 200)
        enrolled = reported if rng.random() < 0.7 else rng.randint(0, reported)
        npp = "" if rng.random() < 0.1 else f"NPP{n:08d}"
        buffer.write(
            f"{now}\t{now}\t91{n:011d}\t\tPT Bench {n}\t{rng.choice(regencies)}\t{npp}\t"
            f"{reported}\t{enrolled}\t{rng.choice((0, 0, 0, 1, 2, 4))}\tbench\t{now}\n"
        )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as raw,
        raw.copy(
            "COPY partners_company (created_at, updated_at, nib, npwp, name, regency_id, npp, "
            "reported_workforce, enrolled_active, arrears_months, source, source_updated_at) FROM STDIN"
        ) as copy,
    ):
        copy.write(buffer.getvalue())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_company")


def bare_lookup_ms(companies: int, samples: int = 2000) -> float:
    from django.db import connection

    rng = random.Random(7)
    timings = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            nib = f"91{rng.randrange(companies):011d}"
            started = time.perf_counter()
            cursor.execute(
                "SELECT c.*, r.province_id FROM partners_company c "
                "JOIN core_regency r ON r.code = c.regency_id WHERE c.nib = %s",
                [nib],
            )
            cursor.fetchall()
            timings.append(time.perf_counter() - started)
    return sorted(timings)[len(timings) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per rate")
    parser.add_argument("--rates", default="100,200,300,400,500,600", help="requests a second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per process")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["PARTNER_THROTTLE_REQUESTS"] = "100000000"
    setup_django(DATABASE)

    from core.demo import REGENCY_CSV
    from core.models import Province
    from core.services import model_ensure, regencies_import, regency_csv_read
    from partners import services
    from partners.models import Partner, PartnerKind, PermitCheck

    with REGENCY_CSV.open(encoding="utf-8", newline="") as stream:
        regencies_import(rows=regency_csv_read(stream))
    load_companies(args.companies)
    office, _ = model_ensure(
        model=Partner,
        lookup={"code": "PTSP-74"},
        data={"name": "Bench office", "kind": PartnerKind.PTSP},
    )
    office.jurisdiction_provinces.add(Province.objects.get(code="74"))
    _key, raw = services.partner_key_create(partner=office, label="bench")
    PermitCheck.objects.all().delete()
    bare = bare_lookup_ms(args.companies)
    rng = random.Random(11)
    serial = itertools.count(1)

    def checks(count: int) -> list[bytes]:
        """``count`` permit checks of random companies, each a new application."""
        return [
            http_post(
                "/api/v1/partner/permit-checks",
                {
                    "nib": f"91{rng.randrange(args.companies):011d}",
                    "permit_type": "izin_usaha",
                    "application_ref": f"B-{next(serial)}",
                },
                {"Authorization": f"Api-Key {raw}"},
            )
            for _ in range(count)
        ]

    lines = [
        f"{args.companies:,} companies; gunicorn {args.workers} workers x {args.threads} threads; "
        f"open-loop load at a fixed rate from a second process on loopback (bench/loadgen.py), "
        f"{args.duration} s per rate"
    ]
    with gunicorn(PORT, args.workers, args.threads):
        # Warm-up, not recorded: imports, connections and caches in every worker.
        fixed_rate(checks(60), 20, PORT)
        swept, best = rate_sweep(
            checks,
            [float(r) for r in args.rates.split(",")],
            duration=args.duration,
            port=PORT,
            p99_ms=TARGET_P99_MS,
        )
    lines += swept
    stored = PermitCheck.objects.count()
    if best:
        lines.append(
            f"bare company lookup by NIB (SQL, same database): median {bare:.2f} ms; endpoint median "
            f"at that rate / bare lookup = **{best['p50'] / bare:.0f}x**"
        )
    lines.append(f"{stored:,} permit checks written and stored during the run")
    record(
        "Permit checks at fixed rates",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/permit_checks.py --companies {args.companies} --duration {args.duration} "
        f"--rates {args.rates} --workers {args.workers} --threads {args.threads}",
        lines,
    )


if __name__ == "__main__":
    main()
