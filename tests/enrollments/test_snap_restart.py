"""A SNAP payment while PostgreSQL restarts: on a cluster of the test's own (never the
shared one), through gunicorn. The payment sent while the database is down is answered
5042500 (ask again) and stores nothing; the bank's retries once it is back are applied
once and answered alike."""

import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import psycopg
import pytest

from partners import snap
from tests.faults import ROOT, PostgresCluster, free_port, wait_for
from tests.snap_bank import key_pair

SETUP = """
import json, os
from partners import services
from partners.models import Partner, PartnerKind
from partners.services.snap import snap_client_create
from tests.builders import active_agent, register
from tests.core.factories import RegencyFactory
from agents.models import Branch, Region
region = Region.objects.create(code="KW-T", name="Test")
branch = Branch.objects.create(code="KDI", name="Kendari", region=region,
    regency=RegencyFactory.create(code="7471", name="Kota Kendari"), time_zone="Asia/Makassar")
registration = register(active_agent(branch), 1)
bank = Partner.objects.create(code="BANK-PG", name="Bank", kind=PartnerKind.PAYMENT_CHANNEL)
snap_client_create(partner=bank, partner_service_id="88899", client_key="bank-pg-client",
    public_key_pem=os.environ["SNAP_PUBLIC_PEM"])
_row, secret = services.signing_secret_create(partner=bank)
print(json.dumps({"number": registration.participant.participant_number,
    "monthly": registration.monthly_total, "secret": secret}))
"""


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 (own server)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310
            return True
    except (OSError, urllib.error.HTTPError):
        return False


@pytest.mark.postgres
def test_a_payment_while_postgresql_restarts_is_applied_once_by_the_banks_retries(tmp_path):
    cluster = PostgresCluster()
    cluster.create()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    private_pem, public_pem = key_pair()
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "CI"}} | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{cluster.port}/postgres",
        "SNAP_PUBLIC_PEM": public_pem,
    }
    server = None
    try:
        cluster.start()
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        made = subprocess.run(
            [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True
        )
        world = json.loads(made.stdout.decode().strip().splitlines()[-1])
        with (tmp_path / "server.log").open("wb") as log:
            server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                    *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2"),
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: _up(f"{base}/healthz"), 60, "the server answering")

        def now() -> str:
            return snap.timestamp_now(datetime.datetime.now(datetime.UTC))

        status, answer = _post(
            f"{base}/snap/v1.0/access-token/b2b",
            b'{"grantType":"client_credentials"}',
            snap.token_request_headers(
                client_key="bank-pg-client", private_pem=private_pem, timestamp=now()
            ),
        )
        assert status == 200, answer
        token = answer["accessToken"]
        number = world["number"]
        path = "/snap/v1.0/transfer-va/payment"
        body = json.dumps(
            {
                "partnerServiceId": "   88899",
                "customerNo": number,
                "virtualAccountNo": "   88899" + number,
                "paymentRequestId": "PAY-RESTART",
                "paidAmount": {"value": snap.amount_text(world["monthly"]), "currency": "IDR"},
            }
        ).encode()
        external_ids = iter(range(1, 100))

        def pay() -> tuple[int, dict]:
            headers = snap.transaction_request_headers(
                method="POST",
                path=path,
                access_token=token,
                body=body,
                timestamp=now(),
                client_secret=world["secret"],
                partner_id="bank-pg-client",
                external_id=str(next(external_ids)),
            )
            return _post(base + path, body, headers)

        cluster.stop()
        status, answer = pay()
        assert (status, answer["responseCode"]) == (504, "5042500"), answer

        cluster.start()
        wait_for(lambda: pay()[0] != 504, 30, "the payment answered after the restart")
        status, first = pay()  # the bank asks once more: the same answer
        assert (status, first["responseCode"]) == (200, "2002500"), first
        status, again = pay()
        assert again == first

        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True
        ) as connection:
            lines = connection.execute("SELECT COUNT(*) FROM enrollments_paymentline").fetchone()
            payments = connection.execute(
                "SELECT COUNT(*) FROM enrollments_payment WHERE channel_ref = 'PAY-RESTART'"
            ).fetchone()
        assert (lines, payments) == ((1,), (1,))
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        cluster.remove()
