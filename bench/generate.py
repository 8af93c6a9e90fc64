"""A deterministic national-scale slice, written straight into PostgreSQL with COPY:
regions and branches in all three time zones, agents, participants with their
registrations, payments over some months, and companies.

    python bench/generate.py --database perisai_bench_scale [--branches 120]
        [--agents 20000] [--participants 1000000] [--months 12] [--payments 3000000]
        [--companies 100000] [--last-month 2026-10]

It empties the slice's tables first, so a rerun rebuilds the same data. NIKs are
encrypted and hashed as the application does; the agents have no usable password.
"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import setup_django

ZONES = [("Asia/Jakarta", 7, 0.55), ("Asia/Makassar", 8, 0.35), ("Asia/Jayapura", 9, 0.10)]
TABLES = [
    "fees_feeline",
    "fees_feestatement",
    "fees_registrationflag",
    "enrollments_paymentreversal",
    "enrollments_paymentline",
    "enrollments_payment",
    "enrollments_sponsorship",
    "enrollments_registration",
    "enrollments_participant",
    "partners_permitcheck",
    "partners_company",
    "agents_agenttraining",
    "agents_agentstatuschange",
    "agents_agent",
    "agents_kantorperisai",
    "agents_staffprofile",
    "agents_branch",
    "agents_region",
]


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f} s] {message}", flush=True)


def copy(table: str, columns: list[str], rows: Iterator[str], *, chunk: int = 200_000) -> int:
    from django.db import connection

    count = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as raw,
        raw.copy(statement) as target,
    ):
        buffer = io.StringIO()
        for row in rows:
            buffer.write(row)
            count += 1
            if count % chunk == 0:
                target.write(buffer.getvalue())
                buffer = io.StringIO()
        target.write(buffer.getvalue())
    return count


def branch_code(n: int) -> str:
    letters = ""
    n += 26 * 26  # at least three letters
    while n:
        n, rest = divmod(n, 26)
        letters = chr(65 + rest) + letters
    return "X" + letters


def month_starts(last: str, months: int) -> list[datetime.date]:
    year, month = (int(part) for part in last.split("-"))
    starts = []
    for back in range(months - 1, -1, -1):
        index = year * 12 + month - 1 - back
        starts.append(datetime.date(index // 12, index % 12 + 1, 1))
    return starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="perisai_bench_scale")
    parser.add_argument("--branches", type=int, default=120)
    parser.add_argument("--agents", type=int, default=20_000)
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--payments", type=int, default=3_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--last-month", default="2026-10")
    args = parser.parse_args()
    started = time.monotonic()
    setup_django(args.database)

    from django.db import connection

    from core import crypto
    from core.dates import month_end
    from core.demo import REGENCY_CSV
    from core.models import Regency
    from core.services import regencies_import, regency_csv_read
    from enrollments.models import Occupation
    from partners.models import Partner, PartnerKind

    rng = random.Random(20261122)
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("DELETE FROM auth_user WHERE username LIKE 'X%%'")
    with REGENCY_CSV.open(encoding="utf-8", newline="") as stream:
        regencies_import(rows=regency_csv_read(stream))
    regencies = list(Regency.objects.order_by("code").values_list("code", flat=True))
    occupation = Occupation.objects.order_by("pk").values_list("pk", flat=True).first()
    channel, _ = Partner.objects.get_or_create(
        code="BANK-BENCH", defaults={"name": "Bench channel", "kind": PartnerKind.PAYMENT_CHANNEL}
    )
    log("emptied the tables", started)

    regions = max(1, args.branches // 10)
    copy(
        "agents_region",
        ["id", "created_at", "updated_at", "code", "name"],
        (f"{r + 1}\t{now}\t{now}\tKW-X{r:03d}\tWilayah {r}\n" for r in range(regions)),
    )
    zones = []
    for _branch in range(args.branches):
        pick, total = rng.random(), 0.0
        for zone, _offset, share in ZONES:
            total += share
            if pick <= total:
                zones.append(zone)
                break
        else:
            zones.append(ZONES[0][0])
    copy(
        "agents_branch",
        [
            "id",
            "created_at",
            "updated_at",
            "code",
            "name",
            "time_zone",
            "address",
            "is_active",
            "last_agent_number",
            "region_id",
            "regency_id",
        ],
        (
            f"{b + 1}\t{now}\t{now}\t{branch_code(b)}\tCabang {b}\t{zones[b]}\t\tt\t0\t"
            f"{b % regions + 1}\t{regencies[b % len(regencies)]}\n"
            for b in range(args.branches)
        ),
    )
    log(f"{regions} regions, {args.branches} branches", started)

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM auth_user")
        first_user = cursor.fetchone()[0] + 1
    agent_branch = [a % args.branches + 1 for a in range(args.agents)]
    codes = [
        f"{branch_code(agent_branch[a] - 1)}-{a // args.branches + 1:04d}"
        for a in range(args.agents)
    ]
    copy(
        "auth_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
        ],
        (f"{first_user + a}\t!\tf\t{codes[a]}\t\t\t\tf\tt\t{now}\n" for a in range(args.agents)),
    )
    token = crypto.encrypt("0000000000000000")
    copy(
        "agents_agent",
        [
            "id",
            "created_at",
            "updated_at",
            "nik_ciphertext",
            "nik_digest",
            "nik_last4",
            "code",
            "full_name",
            "phone",
            "bank",
            "bank_account_number",
            "is_bpjs_employee",
            "status",
            "status_changed_at",
            "activated_at",
            "branch_id",
            "user_id",
        ],
        (
            f"{a + 1}\t{now}\t{now}\t{token}\t{crypto.keyed_digest(f'9900{a:012d}')}\t{a % 10000:04d}\t"
            f"{codes[a]}\tAgen {a}\t+62812{a:08d}\tBNI\t{a:010d}\tf\tactive\t{now}\t2025-01-01T00:00:00Z\t"
            f"{agent_branch[a]}\t{first_user + a}\n"
            for a in range(args.agents)
        ),
    )
    log(f"{args.agents:,} agents", started)

    participant_agent = [rng.randrange(args.agents) + 1 for _ in range(args.participants)]

    def participants() -> Iterator[str]:
        for p in range(args.participants):
            nik = f"74{p:014d}"
            branch = agent_branch[participant_agent[p] - 1]
            yield (
                f"{p + 1}\t{now}\t{now}\t{crypto.encrypt(nik)}\t{crypto.keyed_digest(nik)}\t{nik[-4:]}\t"
                f"9{p:010d}\tPeserta {p}\t1990-01-01\tM\t+62813{p:08d}\t{regencies[branch % len(regencies)]}\t\t"
                f"awaiting_payment\t{branch}\t{occupation}\t74\n"
            )

    copy(
        "enrollments_participant",
        [
            "id",
            "created_at",
            "updated_at",
            "nik_ciphertext",
            "nik_digest",
            "nik_last4",
            "participant_number",
            "full_name",
            "birth_date",
            "sex",
            "phone",
            "regency_id",
            "address",
            "status",
            "branch_id",
            "occupation_id",
            "nik_province_code",
        ],
        participants(),
    )
    log(f"{args.participants:,} participants (NIKs encrypted)", started)

    starts = month_starts(args.last_month, args.months)
    registered_at = datetime.datetime.combine(
        starts[0], datetime.time(), datetime.UTC
    ) - datetime.timedelta(days=30)
    copy(
        "enrollments_registration",
        [
            "id",
            "created_at",
            "updated_at",
            "client_uuid",
            "channel",
            "captured_at",
            "consent_given",
            "consent_method",
            "consent_at",
            "declared_income",
            "includes_jht",
            "payment_period_months",
            "priced_on",
            "contribution_jkk",
            "contribution_jkm",
            "contribution_jht",
            "monthly_total",
            "amount_due",
            "reliefs_applied",
            "payment_code",
            "warnings",
            "agent_id",
            "branch_id",
            "participant_id",
        ],
        (
            f"{p + 1}\t{registered_at.isoformat()}\t{now}\t{uuid.UUID(int=rng.getrandbits(128))}\tsync\t"
            f"{registered_at.isoformat()}\tt\tsignature\t{registered_at.isoformat()}\t1000000\tt\t1\t"
            f"{registered_at.date()}\t10000\t6800\t20000\t36800\t36800\t[]\t{p:014d}\t[]\t"
            f"{participant_agent[p]}\t{agent_branch[participant_agent[p] - 1]}\t{p + 1}\n"
            for p in range(args.participants)
        ),
    )
    log(f"{args.participants:,} registrations", started)

    per_month = args.payments // args.months
    payment_month = [
        starts[i // per_month] if i // per_month < len(starts) else starts[-1]
        for i in range(args.payments)
    ]
    payers = [rng.randrange(args.participants) + 1 for _ in range(args.payments)]
    seconds = [rng.randrange(27 * 86400) for _ in range(args.payments)]

    def paid_at(i: int) -> str:
        start = datetime.datetime.combine(payment_month[i], datetime.time(), datetime.UTC)
        return (start + datetime.timedelta(seconds=seconds[i] + 12 * 3600)).isoformat()

    copy(
        "enrollments_payment",
        [
            "id",
            "channel_ref",
            "amount",
            "paid_at",
            "received_at",
            "request_hash",
            "response_body",
            "channel_id",
        ],
        (
            f"{i + 1}\tB{i:012d}\t36800\t{paid_at(i)}\t{now}\t-\t{{}}\t{channel.pk}\n"
            for i in range(args.payments)
        ),
    )
    copy(
        "enrollments_paymentline",
        [
            "id",
            "amount",
            "months",
            "paid_at",
            "covered_from",
            "covered_through",
            "branch_id",
            "participant_id",
            "payment_id",
            "registration_id",
            "agent_id",
        ],
        (
            f"{i + 1}\t36800\t1\t{paid_at(i)}\t{payment_month[i]}\t{month_end(payment_month[i])}\t"
            f"{agent_branch[participant_agent[payers[i] - 1] - 1]}\t{payers[i]}\t{i + 1}\t{payers[i]}\t"
            f"{participant_agent[payers[i] - 1]}\n"
            for i in range(args.payments)
        ),
    )
    log(f"{args.payments:,} payments over {args.months} months", started)

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE enrollments_participant p SET status = 'active', activated_at = paid.first, "
            "paid_through = paid.through "
            "FROM (SELECT participant_id, MIN(paid_at) AS first, MAX(covered_through) AS through "
            "FROM enrollments_paymentline GROUP BY participant_id) paid "
            "WHERE paid.participant_id = p.id"
        )
    companies = args.companies
    copy(
        "partners_company",
        [
            "created_at",
            "updated_at",
            "nib",
            "npwp",
            "name",
            "regency_id",
            "npp",
            "reported_workforce",
            "enrolled_active",
            "arrears_months",
            "source",
            "source_updated_at",
        ],
        (
            f"{now}\t{now}\t91{c:011d}\t\tPT Skala {c}\t{regencies[c % len(regencies)]}\tNPP{c:08d}\t"
            f"{10 + c % 90}\t{10 + c % 90 - (c % 7 == 0)}\t{c % 5}\tbench\t{now}\n"
            for c in range(companies)
        ),
    )
    log(f"{companies:,} companies", started)

    with connection.cursor() as cursor:
        for table in (
            "agents_region",
            "agents_branch",
            "auth_user",
            "agents_agent",
            "enrollments_participant",
            "enrollments_registration",
            "enrollments_payment",
            "enrollments_paymentline",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (constant names)
                f"(SELECT MAX(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    log("sequences reset and tables analysed: done", started)


if __name__ == "__main__":
    main()
