"""bench/snap_client.py, the reference client the README and docs/snap.md point banks
to, walks a bill through token, inquiry, payment and status against a live server."""

import subprocess
import sys

import pytest

from enrollments.models import Payment
from tests.builders import EXAMPLE, agent_client, post
from tests.faults import ROOT
from tests.snap_bank import SnapBank


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reference_client_pays_a_bill_end_to_end(live_server, agent_a, tmp_path):
    bank = SnapBank()
    number = post(agent_client(agent_a), EXAMPLE).json()["participant_number"]
    key = tmp_path / "bank.pem"
    key.write_text(bank.private_pem)
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "snap_client.py"),
            *("--base", live_server.url, "--client-key", bank.client.client_key),
            *("--key", str(key), "--secret", bank.secret, "--service-id", "88899"),
            *("--participant", number),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for code in ("2007300", "2002400", "2002500", "2002600"):
        assert f'"responseCode": "{code}"' in run.stdout
    payment = Payment.objects.get(channel=bank.partner)
    assert payment.amount == 110_400  # the bill's totalAmount: the 3 months chosen
