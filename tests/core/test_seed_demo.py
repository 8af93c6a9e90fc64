"""seed_demo builds the whole demo world; each run takes seconds, so the tests share
runs: one pair for idempotence and content, one trio for passwords."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agents.models import Agent, AgentStatus, Branch
from enrollments.models import Participant
from fees.models import FeeStatement
from partners.models import Company, Partner
from tallies.models import BranchTarget, DailyTally

pytestmark = pytest.mark.django_db

APPS = ("auth.user", "auth.group", "core", "agents", "partners", "enrollments", "fees", "tallies")


def snapshot() -> str:
    out = StringIO()
    call_command("dumpdata", *APPS, stdout=out, indent=None)
    return out.getvalue()


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_twice_leaves_the_same_rows_and_the_demo_world():
    seed("--password", "demo-pass-2026")
    first = snapshot()
    output = seed("--password", "demo-pass-2026")
    assert snapshot() == first
    assert "no new accounts" in output

    kendari = Branch.objects.select_related("region", "regency").get(code="KDI")
    assert (kendari.region.code, kendari.regency.name, kendari.time_zone) == (
        "KW-SULAMA",
        "Kota Kendari",
        "Asia/Makassar",
    )
    assert set(Branch.objects.values_list("time_zone", flat=True)) >= {
        "Asia/Makassar",
        "Asia/Jayapura",
        "Asia/Pontianak",
    }
    assert Agent.objects.get(code="KDI-0001").status == AgentStatus.ACTIVE
    assert Agent.objects.filter(status=AgentStatus.DEACTIVATED).exists()
    assert {"PTSP-7471", "BANK-DEMO"} <= set(Partner.objects.values_list("code", flat=True))
    assert Company.objects.count() >= 6
    assert set(Participant.objects.values_list("status", flat=True)) == {
        "active",
        "non_active",
        "awaiting_payment",
    }
    assert FeeStatement.objects.filter(agent__code="KDI-0001").exists()
    assert BranchTarget.objects.get(branch=kendari).new_participants == 1_980
    assert DailyTally.objects.filter(branch=kendari).exists()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-pass-2026")


def test_passwords_are_generated_once_kept_and_reset_when_given():
    output = seed()
    line = next(line for line in output.splitlines() if line.startswith("password of the new"))
    password = line.rsplit(": ", 1)[1]
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password)
    assert "password of the new" not in seed()
    admin.refresh_from_db()
    assert admin.check_password(password)
    seed("--password", "second-pass-2026")
    admin.refresh_from_db()
    assert admin.check_password("second-pass-2026")
    assert Agent.objects.get(code="KDI-0001").user.check_password("second-pass-2026")
