"""A reference SNAP client: signs exactly as a bank does and walks one bill through
token, inquiry, payment and status against a running server (``make run``'s demo
channel BANK-DEMO by default).

    python bench/snap_client.py --secret <BANK-DEMO's signing secret> \\
        --participant <a participant number> [--base http://127.0.0.1:8000] \\
        [--client-key bank-demo-snap] [--key var/snap-demo-bank.pem] [--service-id 88899]

``seed_demo`` prints the client key, the key file and the secret the first time it
runs. Each request and answer is printed; the exit status is 0 only if all four
succeeded. Standard library and ``cryptography`` only (partners/snap.py, no Django).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import secrets
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from partners import snap  # noqa: E402 (the project's root is on the path first)


def send(base: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = json.loads(response.read() or b"{}")
    connection.close()
    print(f"POST {path} -> {response.status} {json.dumps(answer, indent=2)}")
    return response.status, answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--client-key", default="bank-demo-snap")
    parser.add_argument("--key", type=Path, default=ROOT / "var" / "snap-demo-bank.pem")
    parser.add_argument("--secret", required=True, help="the channel's client secret")
    parser.add_argument("--service-id", default="88899")
    parser.add_argument("--participant", required=True, help="the participant number")
    args = parser.parse_args()

    private_pem = args.key.read_text()
    service_id = args.service_id.rjust(8)
    now = snap.timestamp_now(datetime.datetime.now(datetime.UTC))
    headers = snap.token_request_headers(
        client_key=args.client_key, private_pem=private_pem, timestamp=now
    )
    status, answer = send(
        args.base,
        "/snap/v1.0/access-token/b2b",
        json.dumps({"grantType": "client_credentials"}).encode(),
        headers,
    )
    if status != 200:
        return 1
    token = answer["accessToken"]

    def call(path: str, body: dict) -> tuple[int, dict]:
        raw = json.dumps(body).encode()
        signed = snap.transaction_request_headers(
            method="POST",
            path=path,
            access_token=token,
            body=raw,
            timestamp=snap.timestamp_now(datetime.datetime.now(datetime.UTC)),
            client_secret=args.secret,
            partner_id=args.client_key,
            external_id=str(secrets.randbelow(10**12)),
        )
        return send(args.base, path, raw, signed)

    account = {
        "partnerServiceId": service_id,
        "customerNo": args.participant,
        "virtualAccountNo": service_id + args.participant,
    }
    status, bill = call(
        "/snap/v1.0/transfer-va/inquiry", {**account, "inquiryRequestId": secrets.token_hex(8)}
    )
    if status != 200:
        return 1
    request_id = f"REF-{secrets.token_hex(6)}"
    paid = {
        **account,
        "paymentRequestId": request_id,
        "paidAmount": bill["virtualAccountData"]["totalAmount"],
        "trxDateTime": snap.timestamp_now(datetime.datetime.now(datetime.UTC)),
    }
    status, _answer = call("/snap/v1.0/transfer-va/payment", paid)
    if status != 200:
        return 1
    status, _answer = call(
        "/snap/v1.0/transfer-va/status", {**account, "paymentRequestId": request_id}
    )
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
