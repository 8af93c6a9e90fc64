"""SNAP inquiry + payment pairs against the signed payment webhook, at fixed rates, in
one run: gunicorn as in production, open-loop load from a second process
(bench/loadgen.py). A SNAP pair is a signed ``transfer-va/inquiry`` and a signed
``transfer-va/payment`` of the presented amount (a bank's bill presentment, then its
payment); the webhook is one signed ``POST /api/v1/partner/payments``. Each payment is
new (its own reference) and pays one month for one of many workers in turn, so both
paths write a payment, a line, the coverage and a receipt message.

    python bench/snap_payments.py [--recruits 2000] [--duration 15] [--rates 10,20,30,40]

Rates are SNAP pairs (two requests each) or webhook payments per second; reported per
rate with p50/p90/p99 (a pair's requests are counted each), the highest rate held with
p99 ≤ 300 ms for each, and the ratio. Needs PostgreSQL and Redis; uses its own database,
perisai_bench_snap.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    bench_agents,
    fixed_rate,
    gunicorn,
    rate_sweep,
    record,
    registration_item,
    setup_django,
)

DATABASE = "perisai_bench_snap"
PORT = 8767
TARGET_P99_MS = 300
INQUIRY = "/snap/v1.0/transfer-va/inquiry"
PAYMENT = "/snap/v1.0/transfer-va/payment"
WEBHOOK = "/api/v1/partner/payments"


def clear() -> None:
    """Before each rate: no payment yet, so no worker is paid a year ahead ("Paid Bill")
    however many rates the sweep runs."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE enrollments_paymentline, enrollments_payment, "
            "notifications_outboundmessage, partners_snapexternalid CASCADE"
        )
        cursor.execute(
            "UPDATE enrollments_participant SET paid_through = NULL, "
            "status = 'awaiting_payment', activated_at = NULL"
        )


def raw_post(path: str, payload: bytes, headers: dict[str, str]) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json"]
    head += [f"{name}: {value}" for name, value in headers.items() if name != "Content-Type"]
    head.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload


def load_recruits(count: int) -> list[tuple[str, str, int]]:
    """(participant number, payment code, monthly total) of ``count`` workers."""
    from django.utils import timezone

    from enrollments import services
    from enrollments.apis.agent import RegistrationInputSerializer, registration_input
    from enrollments.models import Registration

    (agent,) = bench_agents(1)
    have = Registration.objects.filter(agent=agent).count()
    captured = (timezone.now() - datetime.timedelta(days=30)).isoformat()
    validator = RegistrationInputSerializer()
    for start in range(have, count, 500):
        items = [
            registration_input(
                validator.run_validation(
                    registration_item(n, captured, str(uuid.uuid5(uuid.NAMESPACE_URL, f"snap-{n}")))
                )
            )
            for n in range(start, min(start + 500, count))
        ]
        services.registrations_register(agent=agent, items=items, channel="sync")
    return list(
        Registration.objects.filter(agent=agent)
        .order_by("pk")
        .values_list("participant__participant_number", "payment_code", "monthly_total")[:count]
    )


def bank() -> tuple[Any, str, str, str]:
    """BANK-BENCH with its SNAP client: (client, private key PEM, signing secret, API key)."""
    from partners import services, snap
    from partners.models import Partner, PartnerKind, SnapClient
    from partners.services.snap import snap_client_create

    partner, _ = Partner.objects.get_or_create(
        code="BANK-BENCH", defaults={"name": "Bench bank", "kind": PartnerKind.PAYMENT_CHANNEL}
    )
    SnapClient.objects.filter(partner=partner).delete()
    private_pem, public_pem = snap.key_pair_new()
    client = snap_client_create(
        partner=partner,
        partner_service_id="99901",
        client_key="bank-bench",
        public_key_pem=public_pem,
    )
    _row, secret = services.signing_secret_create(partner=partner, label="bench")
    _key, api_key = services.partner_key_create(partner=partner, label="bench")
    return client, private_pem, secret, api_key


def access_token(client_key: str, private_pem: str) -> str:
    import http.client

    from partners import snap

    headers = snap.token_request_headers(
        client_key=client_key, private_pem=private_pem, timestamp=snap.timestamp_now(now())
    )
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    connection.request(
        "POST",
        "/snap/v1.0/access-token/b2b",
        body=json.dumps({"grantType": "client_credentials"}),
        headers=headers,
    )
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return str(answer["accessToken"])


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recruits", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per rate")
    parser.add_argument("--rates", default="10,20,30,40", help="pairs or payments a second")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per process")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["PARTNER_THROTTLE_REQUESTS"] = "100000000"
    setup_django(DATABASE)

    from partners import snap
    from partners.signatures import signature_header

    recruits = load_recruits(args.recruits)
    client, private_pem, secret, api_key = bank()
    service_id = client.partner_service_id
    serial = itertools.count(1)
    external_ids = itertools.count(1)  # unique per channel per day, as a bank's are
    turn = itertools.cycle(recruits)
    token: dict[str, str] = {}

    def snap_pairs(count: int) -> list[bytes]:
        """``count`` inquiry + payment pairs (2 x count requests), signed now: the sweep
        sends them within the 5 minutes a timestamp is good for."""
        requests: list[bytes] = []
        stamp = snap.timestamp_now(now())
        for _ in range(count):
            number, _code, monthly = next(turn)
            account = {
                "partnerServiceId": service_id,
                "customerNo": number,
                "virtualAccountNo": service_id + number,
            }
            n = next(serial)
            for path, body in (
                (INQUIRY, {**account, "inquiryRequestId": f"INQ-{n}"}),
                (
                    PAYMENT,
                    {
                        **account,
                        "paymentRequestId": f"PAY-{n}-{uuid.uuid4().hex[:8]}",
                        "paidAmount": {"value": snap.amount_text(monthly), "currency": "IDR"},
                    },
                ),
            ):
                payload = json.dumps(body).encode()
                headers = snap.transaction_request_headers(
                    method="POST",
                    path=path,
                    access_token=token["value"],
                    body=payload,
                    timestamp=stamp,
                    client_secret=secret,
                    partner_id=client.client_key,
                    external_id=str(next(external_ids)),
                )
                requests.append(raw_post(path, payload, headers))
        return requests

    def webhook_payments(count: int) -> list[bytes]:
        requests: list[bytes] = []
        stamp = int(time.time())
        paid_at = now().isoformat()
        for _ in range(count):
            _number, code, monthly = next(turn)
            payload = json.dumps(
                {
                    "channel_ref": f"WH-{next(serial)}-{uuid.uuid4().hex[:8]}",
                    "payment_code": code,
                    "amount": monthly,
                    "months": 1,
                    "paid_at": paid_at,
                }
            ).encode()
            headers = {
                "Authorization": f"Api-Key {api_key}",
                "X-Signature": signature_header(secret, stamp, payload),
            }
            requests.append(raw_post(WEBHOOK, payload, headers))
        return requests

    rates = [float(r) for r in args.rates.split(",")]
    lines = [
        f"{len(recruits):,} workers paid in turn; gunicorn {args.workers} workers x "
        f"{args.threads} threads; open-loop load from a second process (bench/loadgen.py), "
        f"{args.duration} s per rate"
    ]
    with gunicorn(PORT, args.workers, args.threads):
        token["value"] = access_token(client.client_key, private_pem)
        fixed_rate(snap_pairs(20), 10, PORT)  # warm-up, not recorded
        fixed_rate(webhook_payments(20), 10, PORT)
        lines.append(
            "**SNAP** (rate = inquiry + payment pairs; the load is twice the rate in requests)"
        )
        swept_snap, best_snap = rate_sweep(
            lambda n: snap_pairs(n // 2),
            [2 * r for r in rates],
            duration=args.duration,
            port=PORT,
            p99_ms=TARGET_P99_MS,
            before_each=clear,
        )
        lines += swept_snap
        lines.append("**Webhook** (`/api/v1/partner/payments`, rate = payments)")
        swept_hook, best_hook = rate_sweep(
            webhook_payments,
            rates,
            duration=args.duration,
            port=PORT,
            p99_ms=TARGET_P99_MS,
            before_each=clear,
        )
        lines += swept_hook
    if best_snap and best_hook:
        pairs = best_snap["target"] / 2
        lines.append(
            f"highest held: SNAP **{pairs:.0f} pairs/s** ({best_snap['target']:.0f} req/s), "
            f"webhook **{best_hook['target']:.0f} payments/s**; SNAP pairs / webhook payments = "
            f"**{pairs / best_hook['target']:.2f}**"
        )
    record(
        "SNAP inquiry + payment against the payment webhook, at fixed rates",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/perisai REDIS_URL=redis://127.0.0.1:6379/0 "
        f".venv/bin/python bench/snap_payments.py --recruits {args.recruits} --duration {args.duration} "
        f"--rates {args.rates} --workers {args.workers} --threads {args.threads}",
        lines,
    )


if __name__ == "__main__":
    main()
