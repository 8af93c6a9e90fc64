"""seed_demo builds the whole demo world; each run takes seconds, so the tests share
runs: one pair for idempotence and content, one trio for passwords."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agents.models import Agent, AgentStatus, Branch
from enrollments.models import DeathReport, FollowUpContact, Participant
from fees.models import FeeStatement
from partners.models import Company, Partner
from tallies.models import BranchTarget, DailyTally, RetentionCohort

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
    # The work list shows last contacts, and the branch has a death report to close.
    assert FollowUpContact.objects.values("outcome").distinct().count() >= 3
    assert DeathReport.objects.filter(status=DeathReport.Status.OPEN).count() == 1
    assert BranchTarget.objects.get(branch=kendari).new_participants == 1_980
    assert DailyTally.objects.filter(branch=kendari).exists()
    # Registrations spread over ten months: a cohort per month for the dashboard's chart.
    assert RetentionCohort.objects.filter(branch=kendari).count() >= 6
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("demo-pass-2026")


def test_passwords_are_generated_once_kept_and_reset_when_given():
    output = seed()
    line = next(line for line in output.splitlines() if "password of the new" in line)
    password = line.rsplit(": ", 1)[1]
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password)
    assert "password of the new" not in seed()
    admin.refresh_from_db()
    assert admin.check_password(password)
    # `make run` with DEMO_PASSWORD set: existing accounts keep their passwords ...
    seed("--password", "second-pass-2026")
    admin.refresh_from_db()
    assert admin.check_password(password)
    # ... unless a reset is asked for.
    seed("--password", "second-pass-2026", "--reset-passwords")
    admin.refresh_from_db()
    assert admin.check_password("second-pass-2026")
    assert Agent.objects.get(code="KDI-0001").user.check_password("second-pass-2026")


def test_a_second_run_leaves_the_users_own_data_alone(caplog):
    """The user adds an agent of their own, whose registration and back-dated payment
    open a fee statement of an old month, and changes a password; the second run (the
    next `make run`) changes none of it and writes nothing at all."""
    import datetime
    import logging

    from django.utils import timezone

    from agents import services as agent_services
    from agents.models import AgentStatusChange, AppointedBank
    from core.dates import period_of
    from fees.models import StatementStatus
    from fees.services import fees_recompute_branch
    from tests.builders import pay, register

    with caplog.at_level(logging.INFO):
        output = seed("--password", "demo-pass-2026")
    # Quiet while seeding, and the one-time keys come last, in one short block.
    assert not [record for record in caplog.records if record.levelno <= logging.INFO]
    lines = output.splitlines()
    secret_at = next(n for n, line in enumerate(lines) if "signing secret of BANK-DEMO" in line)
    assert len(lines) - secret_at <= 2
    assert len(lines) < 40

    kendari = Branch.objects.get(code="KDI")
    own = agent_services.agent_apply(
        branch=kendari,
        full_name="Agen Milik Pengguna",
        nik="7471035506950012",
        phone="081241000099",
        bank=AppointedBank.BNI,
        bank_account_number="0123456789",
        password="users-own-pass-1",
        by=None,
        channel=AgentStatusChange.Channel.COMMAND,
    )
    agent_services.agent_training_record(
        agent=own,
        completed_on=kendari.local_today() - datetime.timedelta(days=200),
        trainer="Tim",
        branch=kendari,
        by=None,
    )
    own = agent_services.agent_activate(
        agent=own, by=None, channel=AgentStatusChange.Channel.COMMAND
    )
    back = timezone.now() - datetime.timedelta(days=120)
    registration = register(own, 901, captured=back)
    pay(
        Partner.objects.get(code="BANK-DEMO"),
        registration,
        at=back + datetime.timedelta(days=1),
    )
    period = period_of((back + datetime.timedelta(days=1)).date())
    fees_recompute_branch(branch_id=kendari.pk, period=period)
    statement = FeeStatement.objects.get(agent=own)
    assert statement.status == StatementStatus.OPEN
    staff_user = get_user_model().objects.get(username="staf.kdi")
    staff_user.set_password("my-own-password-1")
    staff_user.save()

    before = snapshot()
    seed("--password", "demo-pass-2026")
    assert snapshot() == before
    statement.refresh_from_db()
    assert statement.status == StatementStatus.OPEN
    staff_user.refresh_from_db()
    assert staff_user.check_password("my-own-password-1")
    assert own.registrations.count() == 1
