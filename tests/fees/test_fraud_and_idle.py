import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Sum

from agents.models import Agent, AgentStatus, AgentStatusChange
from core.exceptions import ConflictError
from fees import services
from fees.models import (
    FeeLine,
    FeeStatement,
    FlagRule,
    FlagStatus,
    LineKind,
    RegistrationFlag,
    StatementStatus,
)
from fees.services.flags import _bursts
from tests.builders import active_agent, iso, pay, register

pytestmark = pytest.mark.django_db

d = datetime.date
OCTOBER = "2026-10"


def payable(agent, period=None) -> int:
    lines = FeeLine.objects.filter(statement__agent=agent, held=False)
    if period:
        lines = lines.filter(statement__period=period)
    return lines.aggregate(total=Sum("amount"))["total"] or 0


@pytest.fixture
def flagged(kendari, channel, no_auto_recompute, staff_user):
    agent = active_agent(kendari)
    honest, suspect = register(agent, 1), register(agent, 2)
    services.registration_flag(registration=suspect, by=staff_user, note="Tanda tangan mirip")
    pay(channel, honest, months=1, at=iso(d(2026, 10, 5)))
    pay(channel, suspect, months=1, at=iso(d(2026, 10, 6)))
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    return agent, honest, suspect


def test_lines_of_a_flagged_registration_are_held(flagged):
    agent, _honest, suspect = flagged
    held = FeeLine.objects.get(registration=suspect)
    assert held.held is True
    assert payable(agent, OCTOBER) == 5_520  # only the honest one's 15% of 36,800


def test_clearing_releases_the_held_lines_into_the_open_statement(flagged, staff_user):
    agent, _honest, suspect = flagged
    released = services.flags_clear(registration=suspect, by=staff_user)
    assert released == 1
    release = FeeLine.objects.get(kind=LineKind.RELEASE)
    assert release.releases == FeeLine.objects.get(registration=suspect, kind=LineKind.COMMISSION)
    assert release.amount == 5_520
    assert release.statement.status == StatementStatus.OPEN
    assert payable(agent) == 11_040
    assert services.flags_clear(registration=suspect, by=staff_user) == 0  # released once
    assert RegistrationFlag.objects.get(registration=suspect).status == FlagStatus.CLEARED


def test_a_release_is_earned_in_the_branch_s_month_not_head_office_s(flagged, staff_user):
    """23:30 WIB on 30 November is 00:30 on 1 December in Kendari (WITA)."""
    _agent, _honest, suspect = flagged
    with time_machine.travel(datetime.datetime(2026, 11, 30, 16, 30, tzinfo=datetime.UTC)):
        services.flags_clear(registration=suspect, by=staff_user)
    release = FeeLine.objects.get(kind=LineKind.RELEASE)
    assert (release.earned_period, release.statement.period) == ("2026-12", "2026-12")


def test_confirmed_fraud_is_never_paid(flagged, staff_user):
    agent, _honest, suspect = flagged
    services.flags_confirm_fraud(registration=suspect, by=staff_user, note="Fiktif")
    with pytest.raises(ConflictError):
        services.flags_clear(registration=suspect, by=staff_user)
    assert not FeeLine.objects.filter(kind=LineKind.RELEASE).exists()
    assert payable(agent) == 5_520


def test_terminating_for_fraud_forfeits_unpaid_statements(flagged, staff_user):
    agent, _honest, suspect = flagged
    services.flags_confirm_fraud(
        registration=suspect, by=staff_user, note="Fiktif", terminate_agent=True
    )
    agent.refresh_from_db()
    assert agent.status == AgentStatus.TERMINATED
    assert set(FeeStatement.objects.filter(agent=agent).values_list("status", flat=True)) == {
        StatementStatus.FORFEITED
    }


def test_the_rules_flag_bursts_shared_phones_and_far_niks(kendari, staff_user):
    base = datetime.datetime(2026, 10, 1, 8, 0, tzinfo=datetime.UTC)
    lat, lng = -3.9985, 122.5129
    rows = [
        (n, 1, round_(lat), round_(lng), base + datetime.timedelta(minutes=2 * n)) for n in range(5)
    ]
    assert _bursts(rows) == {0, 1, 2, 3, 4}
    assert _bursts(rows[:4]) == set()
    spread = [
        (n, 1, round_(lat), round_(lng), base + datetime.timedelta(minutes=4 * n)) for n in range(5)
    ]
    assert _bursts(spread) == set()  # five within 16 minutes, never five within 10

    agent = active_agent(kendari)
    shared = [register(agent, n) for n in (11, 12, 13)]
    for registration in shared:
        type(registration.participant).objects.filter(pk=registration.participant_id).update(
            phone="+6281200000000"
        )
    far = register(agent, 14)
    type(far.participant).objects.filter(pk=far.participant_id).update(nik_province_code="31")
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    end = datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
    services.registrations_flag_by_rules(branch=kendari, start=start, end=end)
    services.registrations_flag_by_rules(branch=kendari, start=start, end=end)  # idempotent
    flags = set(RegistrationFlag.objects.values_list("registration_id", "rule"))
    assert flags == {(r.pk, FlagRule.SHARED_PHONE) for r in shared} | {
        (far.pk, FlagRule.NIK_PROVINCE)
    }


def round_(value: float) -> Decimal:
    return Decimal(str(value))


# Idle agents -----------------------------------------------------------------------------


@pytest.fixture
def long_active(kendari, no_auto_recompute):
    agent = active_agent(kendari)
    Agent.objects.filter(pk=agent.pk).update(
        activated_at=datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)
    )
    return agent


def test_an_agent_idle_for_three_whole_months_is_deactivated_not_after_two(long_active, channel):
    registration = register(
        long_active, 1, captured=datetime.datetime(2026, 6, 20, tzinfo=datetime.UTC)
    )
    type(registration).objects.filter(pk=registration.pk).update(
        created_at=datetime.datetime(2026, 6, 20, tzinfo=datetime.UTC)
    )
    # 1 September (WITA): July and August idle, June was not -> two idle months.
    assert (
        services.idle_agents_deactivate(now=datetime.datetime(2026, 9, 1, 1, tzinfo=datetime.UTC))
        == []
    )
    # 1 October: July, August, September idle -> the third idle month.
    deactivated = services.idle_agents_deactivate(
        now=datetime.datetime(2026, 10, 1, 1, tzinfo=datetime.UTC)
    )
    assert deactivated == [long_active.code]
    long_active.refresh_from_db()
    assert long_active.status == AgentStatus.DEACTIVATED
    change = long_active.status_changes.latest("id")
    assert change.channel == AgentStatusChange.Channel.TASK
    assert change.reason == "Tiga bulan berturut-turut tanpa pendaftaran baru maupun iuran"


def test_a_contribution_from_a_recruit_keeps_an_agent_active(long_active, channel):
    registration = register(
        long_active, 1, captured=datetime.datetime(2026, 5, 20, tzinfo=datetime.UTC)
    )
    type(registration).objects.filter(pk=registration.pk).update(
        created_at=datetime.datetime(2026, 5, 20, tzinfo=datetime.UTC)
    )
    pay(channel, registration, months=1, at=iso(d(2026, 8, 15)))
    assert (
        services.idle_agents_deactivate(now=datetime.datetime(2026, 10, 1, 1, tzinfo=datetime.UTC))
        == []
    )
    assert services.idle_agents_deactivate(
        now=datetime.datetime(2026, 12, 1, 1, tzinfo=datetime.UTC)
    ) == [long_active.code]
