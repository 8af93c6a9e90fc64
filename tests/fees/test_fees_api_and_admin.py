import csv
import datetime
import io
import zipfile

import pytest
from django.test import Client

from agents.models import StaffProfile
from fees import services
from fees.models import FeeStatement, StatementStatus
from tests.builders import active_agent, agent_client, iso, pay, register, staff

pytestmark = pytest.mark.django_db

d = datetime.date
OCTOBER = "2026-10"


@pytest.fixture
def earned(kendari, manado, channel, no_auto_recompute):
    agent = active_agent(kendari, full_name="Agen Berhasil")
    other = active_agent(manado, full_name="Agen Manado")
    pay(channel, register(agent, 1), months=3, at=iso(d(2026, 10, 5)))
    pay(channel, register(other, 2), months=1, at=iso(d(2026, 10, 6)))
    services.fees_recompute(period=OCTOBER)
    return agent, other


def test_an_agent_lists_and_reads_their_statements(earned):
    agent, _other = earned
    client = agent_client(agent)
    listed = client.get("/api/v1/agent/fees").json()
    assert listed == {"results": [{"period": OCTOBER, "status": "open", "total": 16_560}]}
    detail = client.get(f"/api/v1/agent/fees/{OCTOBER}").json()
    assert detail["total"] == 16_560
    assert [(line["kind"], line["amount"]) for line in detail["lines"]] == [("commission", 16_560)]
    assert detail["lines"][0]["payment_ref"].startswith("P-")
    assert detail["lines"][0]["registration_id"] is not None


def test_another_month_or_another_agents_month_is_404(earned):
    agent, other = earned
    assert agent_client(agent).get("/api/v1/agent/fees/2026-09").status_code == 404
    assert agent_client(agent).get("/api/v1/agent/fees/2026-13").status_code == 404
    assert agent_client(other).get("/api/v1/agent/fees").json()["results"][0]["total"] == 5_520


def test_me_shows_the_fee_so_far(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    pay(channel, register(agent, 1), months=1, at=now)
    period = now.astimezone(kendari.zone).strftime("%Y-%m")
    services.fees_recompute_branch(branch_id=kendari.pk, period=period)
    assert agent_client(agent).get("/api/v1/agent/me").json()["month"]["fee"] == 5_520


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_branch_staff_approve_their_branch_statements_but_cannot_mark_paid(earned, kendari):
    agent, _other = earned
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    listing = client.get("/admin/fees/feestatement/").content.decode()
    assert "Agen Berhasil" in listing and "Agen Manado" not in listing
    ids = list(FeeStatement.objects.values_list("pk", flat=True))
    client.post("/admin/fees/feestatement/", {"action": "approve", "_selected_action": ids})
    assert dict(FeeStatement.objects.values_list("agent__full_name", "status")) == {
        "Agen Berhasil": StatementStatus.APPROVED,
        "Agen Manado": StatementStatus.OPEN,
    }
    client.post("/admin/fees/feestatement/", {"action": "mark_paid", "_selected_action": ids})
    assert FeeStatement.objects.get(agent=agent).status == StatementStatus.APPROVED


def test_head_office_exports_the_payout_and_marks_paid(earned):
    agent, other = earned
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    ids = list(FeeStatement.objects.values_list("pk", flat=True))
    client.post("/admin/fees/feestatement/", {"action": "approve", "_selected_action": ids})
    response = client.post(
        "/admin/fees/feestatement/", {"action": "export_payout", "_selected_action": ids}
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["control.csv", "payout-BNI.csv"]
    rows = list(csv.reader(io.StringIO(archive.read("payout-BNI.csv").decode())))
    assert rows[0] == ["bank", "account_number", "account_holder", "agent_code", "period", "amount"]
    paid = {row[3]: int(row[5]) for row in rows[1:-1]}
    assert paid == {agent.code: 16_560, other.code: 5_520}
    assert rows[-1][0] == "TOTAL" and int(rows[-1][5]) == 22_080
    assert agent.bank_account_number in {row[1] for row in rows}
    control = list(csv.reader(io.StringIO(archive.read("control.csv").decode())))
    assert control[-1] == ["ALL", "2", "22080"]

    client.post("/admin/fees/feestatement/", {"action": "mark_paid", "_selected_action": ids})
    assert set(FeeStatement.objects.values_list("status", flat=True)) == {StatementStatus.PAID}


def test_the_review_queue_lists_open_flags(earned, kendari, staff_user):
    agent, _other = earned
    registration = agent.registrations.first()
    services.registration_flag(registration=registration, by=staff_user)
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    queue = client.get("/admin/fees/registrationflag/")
    assert str(registration.pk) in queue.content.decode()
    flag_ids = [registration.flags.get().pk]
    client.post("/admin/fees/registrationflag/", {"action": "clear", "_selected_action": flag_ids})
    assert registration.flags.get().status == "cleared"
