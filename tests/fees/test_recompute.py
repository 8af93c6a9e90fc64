import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, Sum

from agents.models import KantorPerisai
from core.exceptions import ApplicationError
from enrollments import services as enrollment_services
from enrollments.models import PaymentLine
from fees import services
from fees.errors import NoSchemeError
from fees.models import (
    FeeLine,
    FeeScheme,
    FeeStatement,
    LineKind,
    PendingRecompute,
    RegistrationFlag,
    StatementStatus,
)
from fees.rules import commission_lines
from fees.services import recompute
from fees.tasks import recompute_branch
from tests.builders import active_agent, iso, pay, register
from tests.races import race

pytestmark = pytest.mark.django_db

d = datetime.date
OCTOBER = "2026-10"


def snapshot() -> list[tuple]:
    """The ledger without ids: what a clean run must reproduce."""
    return sorted(
        (
            line.kind,
            line.agent.code,
            line.amount,
            line.earned_period,
            line.held,
            line.statement.period,
            line.source_key.split(":")[0],
        )
        for line in FeeLine.objects.select_related("agent", "statement")
    )


def statement_total(agent, period: str) -> int:
    return (
        FeeLine.objects.filter(
            statement__agent=agent, statement__period=period, held=False
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


@pytest.fixture
def october(kendari, channel, no_auto_recompute):
    """An agent with three recruits who paid in October 2026."""
    agent = active_agent(kendari, full_name="Agen Oktober")
    registrations = [register(agent, n) for n in (1, 2, 3)]
    for day, registration in zip((3, 10, 20), registrations, strict=True):
        pay(channel, registration, months=3, at=iso(d(2026, 10, day)))
    return agent, registrations


def test_a_commission_line_per_payment_at_the_scheme_rate(october, kendari):
    agent, _registrations = october
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    lines = list(FeeLine.objects.filter(kind=LineKind.COMMISSION).order_by("id"))
    assert [line.amount for line in lines] == commission_lines(
        [110_400] * 3, 150_000
    )  # 15% in 2026
    assert sum(line.amount for line in lines) == 49_680
    assert {line.statement.period for line in lines} == {OCTOBER}
    assert all(line.source_key.startswith("commission:") and line.payment_line_id for line in lines)
    assert statement_total(agent, OCTOBER) == 49_680


def test_each_scheme_pays_its_own_months(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    december, january = register(agent, 1), register(agent, 2)
    pay(channel, december, months=1, at=iso(d(2023, 12, 15)))
    pay(channel, january, months=1, at=iso(d(2024, 1, 15)))
    services.fees_recompute_branch(branch_id=kendari.pk, period="2023-12")
    services.fees_recompute_branch(branch_id=kendari.pk, period="2024-01")
    assert statement_total(agent, "2023-12") == 2_760  # 7.5% of 36,800
    assert statement_total(agent, "2024-01") == 5_520  # 15%


@pytest.mark.parametrize(("activations", "bonus"), [(49, 0), (50, 500_000)])
def test_the_acquisition_bonus_at_49_and_50_activations(
    kendari, channel, no_auto_recompute, activations, bonus
):
    agent = active_agent(kendari)
    for n in range(1, activations + 1):
        pay(channel, register(agent, n), months=1, at=iso(d(2026, 10, 5)))
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    bonus_lines = FeeLine.objects.filter(kind=LineKind.ACQUISITION_BONUS)
    assert sum(line.amount for line in bonus_lines) == bonus


def test_the_kantor_perisai_gets_its_override(october, kendari):
    agent, _ = october
    office = KantorPerisai.objects.create(code="KP-1", name="KP", branch=kendari)
    type(agent).objects.filter(pk=agent.pk).update(kantor_perisai=office)
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    overrides = FeeLine.objects.filter(kind=LineKind.OVERRIDE)
    assert sum(line.amount for line in overrides) == 4_968  # 10% of 49,680
    assert {line.statement.kantor_perisai_id for line in overrides} == {office.pk}
    assert statement_total(agent, OCTOBER) == 49_680  # not taken from the agent
    assert all(line.override_of.kind == LineKind.COMMISSION for line in overrides)


def test_recomputing_twice_leaves_the_same_lines(october, kendari):
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    first = snapshot()
    again = services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    assert again.inserted == 0
    assert snapshot() == first


def test_a_recompute_killed_half_way_then_rerun_leaves_the_clean_lines(
    october, kendari, manado, channel
):
    other = active_agent(manado)
    pay(channel, register(other, 7), months=1, at=iso(d(2026, 10, 7)))
    with (
        mock.patch.object(recompute, "_insert_bonuses", side_effect=RuntimeError("worker killed")),
        pytest.raises(RuntimeError),
    ):
        services.fees_recompute(period=OCTOBER)
    assert FeeLine.objects.count() == 0  # the branch's transaction rolled back whole
    services.fees_recompute(period=OCTOBER)
    after_rerun = snapshot()
    assert len([row for row in after_rerun if row[0] == "commission"]) == 4
    services.fees_recompute(period=OCTOBER)
    assert snapshot() == after_rerun


def test_a_late_payment_for_an_approved_month_lands_in_the_next_statement(
    october, kendari, channel, staff_user
):
    agent, _registrations = october
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    services.statements_approve(
        statements=FeeStatement.objects.filter(period=OCTOBER), by=staff_user
    )
    pay(channel, register(agent, 9), months=1, at=iso(d(2026, 10, 30)))  # reported late
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    late = FeeLine.objects.filter(kind=LineKind.COMMISSION).order_by("-id").first()
    assert (late.earned_period, late.statement.period) == (OCTOBER, "2026-11")
    assert late.statement.status == StatementStatus.OPEN
    assert statement_total(agent, OCTOBER) == 49_680  # the approved statement did not change


def test_a_reversal_posts_a_negative_line_pointing_at_the_original(october, kendari, channel):
    _agent, _registrations = october
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    original = FeeLine.objects.filter(kind=LineKind.COMMISSION).order_by("id").first()
    enrollment_services.payment_reverse(
        channel=channel, channel_ref=original.payment_line.payment.channel_ref
    )
    current = datetime.datetime.now(datetime.UTC).astimezone(kendari.zone).strftime("%Y-%m")
    services.fees_recompute_branch(branch_id=kendari.pk, period=current)
    reversal = FeeLine.objects.get(kind=LineKind.REVERSAL)
    assert reversal.reverses == original
    assert reversal.amount == -original.amount
    assert reversal.statement.period == current


@pytest.mark.postgres
def test_the_database_refuses_to_change_or_delete_a_ledger_line(october, kendari):
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    line = FeeLine.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        FeeLine.objects.filter(pk=line.pk).update(amount=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        FeeLine.objects.filter(pk=line.pk).delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("enrollments_paymentline", "payment_line_id"),
        ("enrollments_registration", "registration_id"),
    ],
)
def test_the_database_refuses_to_remove_what_a_ledger_line_points_at(
    october, kendari, table, column
):
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    line = FeeLine.objects.filter(kind=LineKind.COMMISSION).first()
    target = getattr(line, column)
    with connection.cursor() as cursor:
        # Raw SQL, past the ORM's PROTECT: the triggers stand in for the constraint (and
        # fire before the deferred constraints of the payment lines on a registration).
        refused = pytest.raises(DatabaseError, match=f"fee lines point at {table}")
        with refused, transaction.atomic():
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [target])  # noqa: S608
        with pytest.raises(DatabaseError, match="fee lines point at"), transaction.atomic():
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own pending checks
            cursor.execute(f"TRUNCATE {table} CASCADE")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_delete_racing_a_recompute_waits_for_its_lines_and_is_refused(
    kendari, channel, no_auto_recompute
):
    agent = active_agent(kendari)
    pay(channel, register(agent, 1), months=1, at=iso(d(2026, 10, 5)))
    target = PaymentLine.objects.get().pk
    written, deleting = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def recompute() -> None:
        try:
            with transaction.atomic():  # the lines stay uncommitted until the delete waits
                services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
                written.set()
                deleting.wait(timeout=10)
                time.sleep(0.5)  # the delete is now blocked, or has already finished
        finally:
            connection.close()

    def delete() -> None:
        written.wait(timeout=10)
        deleting.set()
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM enrollments_paymentline WHERE id = %s", [target])
            outcome["deleted"] = True
        except DatabaseError as error:
            outcome["refused"] = str(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=recompute), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert "fee lines point at" in str(outcome.get("refused"))
    assert PaymentLine.objects.filter(pk=target).exists()
    assert FeeLine.objects.filter(payment_line_id=target).exists()


@pytest.mark.postgres
def test_rows_no_ledger_line_points_at_can_still_be_removed(october, kendari, channel):
    agent, _registrations = october
    pay(channel, register(agent, 4), months=1, at=iso(d(2026, 11, 5)))  # not in October
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    free = PaymentLine.objects.exclude(
        pk__in=FeeLine.objects.exclude(payment_line=None).values("payment_line_id")
    ).get()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM enrollments_paymentline WHERE id = %s", [free.pk])
    assert not PaymentLine.objects.filter(pk=free.pk).exists()


def test_the_orm_refuses_to_delete_a_payment_line_a_ledger_line_points_at(october, kendari):
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    line = FeeLine.objects.filter(kind=LineKind.COMMISSION).first()
    assert line.payment_line is not None
    with pytest.raises(ProtectedError):
        PaymentLine.objects.filter(pk=line.payment_line.pk).delete()


@pytest.mark.postgres
def test_the_database_refuses_a_line_in_an_approved_statement(october, kendari, staff_user):
    services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    line = FeeLine.objects.first()
    services.statements_approve(statements=[line.statement], by=staff_user)
    with pytest.raises(DatabaseError, match="not open"), transaction.atomic():
        FeeLine.objects.create(
            source_key="adjustment:test",
            statement=line.statement,
            kind=LineKind.ADJUSTMENT,
            amount=1,
            earned_period=OCTOBER,
            branch=line.branch,
            agent=line.agent,
            scheme=line.scheme,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_recomputes_at_once_leave_the_lines_of_one(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    for n in range(1, 41):
        pay(channel, register(agent, n), months=1, at=iso(d(2026, 10, 1 + n % 28)))
    # Fails with the error if either recompute raised.
    race(lambda _: services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER), 2)
    commissions = FeeLine.objects.filter(kind=LineKind.COMMISSION)
    assert commissions.count() == 40
    assert sum(line.amount for line in commissions) == sum(commission_lines([36_800] * 40, 150_000))
    assert FeeStatement.objects.filter(agent=agent, period=OCTOBER).count() == 1


@pytest.fixture
def eager_celery():
    """As under ``make run``: no broker, tasks run in-process when queued."""
    from config.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def test_eager_mode_recomputes_after_every_quick_payment_and_reversal(
    kendari, channel, eager_celery, django_capture_on_commit_callbacks
):
    """Without a broker there is no later for a payment to ride along with: each one,
    seconds after the last, and each reversal, reaches the ledger when it commits."""
    agent = active_agent(kendari, full_name="Agen Cepat")
    first, second = register(agent, 1), register(agent, 2)
    with django_capture_on_commit_callbacks(execute=True):
        pay(channel, first, months=1, at=iso(d(2026, 10, 5)), ref="P-FIRST")
    with django_capture_on_commit_callbacks(execute=True):
        pay(channel, second, months=1, at=iso(d(2026, 10, 5)), ref="P-SECOND")
    commissions = FeeLine.objects.filter(kind=LineKind.COMMISSION)
    assert set(commissions.values_list("registration", flat=True)) == {first.pk, second.pk}

    with django_capture_on_commit_callbacks(execute=True):
        enrollment_services.payment_reverse(channel=channel, channel_ref="P-SECOND")
    reversal = FeeLine.objects.get(kind=LineKind.REVERSAL)
    assert reversal.reverses == commissions.get(registration=second)
    assert not PendingRecompute.objects.exists()


# Paths of the SQL with a worked example each: overrides on negative lines, the reversal
# of a bonus no longer earned, flagged activations left out of the bonus.

# 20:00 on 28 October in Kendari (WITA).
LATE_OCTOBER = datetime.datetime(2026, 10, 28, 12, 0, tzinfo=datetime.UTC)


def scheme_from_october(**changes) -> FeeScheme:
    """A scheme in force from 1 October 2026, the 2024 scheme's rates unless changed."""
    values = {
        "name": "Skema uji",
        "commission_percent": Decimal("15"),
        "bonus_amount": 500_000,
        "bonus_min_activations": 50,
        "override_percent": Decimal("10"),
        "effective_from": d(2026, 10, 1),
    } | changes
    return FeeScheme.objects.create(**values)


def with_office(agent, branch) -> KantorPerisai:
    office = KantorPerisai.objects.create(code=f"KP-{agent.pk}", name="KP", branch=branch)
    type(agent).objects.filter(pk=agent.pk).update(kantor_perisai=office)
    return office


def office_total(office, period: str) -> int:
    return (
        FeeLine.objects.filter(
            statement__kantor_perisai=office, statement__period=period, held=False
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def test_a_reversal_takes_back_the_office_s_override_rounded_away_from_zero(
    kendari, channel, no_auto_recompute
):
    # Commission: 15% of 36,800 = 5,520. Override at 0.625%: 34.5 -> 35.
    # The reversal in November: -5,520, and its override -34.5 -> -35, not the -34 that
    # (amount x rate + half) / 10^6 truncated would give: the office gives back what it got.
    scheme_from_october(override_percent=Decimal("0.625"))
    agent = active_agent(kendari)
    office = with_office(agent, kendari)
    with time_machine.travel(LATE_OCTOBER):
        pay(channel, register(agent, 1), months=1, at=iso(d(2026, 10, 5)), ref="P-OKT")
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    with time_machine.travel(datetime.datetime(2026, 11, 10, 2, 0, tzinfo=datetime.UTC)):
        enrollment_services.payment_reverse(channel=channel, channel_ref="P-OKT")
        services.fees_recompute_branch(branch_id=kendari.pk, period="2026-11")

    reversal = FeeLine.objects.get(kind=LineKind.REVERSAL)
    assert (reversal.amount, reversal.earned_period) == (-5_520, "2026-11")
    override = FeeLine.objects.get(kind=LineKind.OVERRIDE, override_of=reversal)
    assert override.amount == -35
    assert override.statement.kantor_perisai == office
    assert (office_total(office, OCTOBER), office_total(office, "2026-11")) == (35, -35)
    assert (statement_total(agent, OCTOBER), statement_total(agent, "2026-11")) == (5_520, -5_520)


def test_a_bonus_no_longer_earned_is_reversed_with_its_override(
    kendari, channel, no_auto_recompute
):
    # Two activations earn the Rp500,000 bonus; the office gets 10% of every line.
    # Before the reversal: agent 5,520 + 5,520 + 500,000 = 511,040; office 552 + 552 +
    # 50,000 = 51,104.
    # One payment reversed in October leaves one activation: the bonus is reversed
    # (-500,000) with the commission (-5,520): agent 5,520; office 552 + 552 + 50,000
    # - 552 - 50,000 = 552.
    scheme_from_october(bonus_min_activations=2)
    with time_machine.travel(LATE_OCTOBER):
        agent = active_agent(kendari)
        office = with_office(agent, kendari)
        pay(channel, register(agent, 1), months=1, at=iso(d(2026, 10, 5)))
        pay(channel, register(agent, 2), months=1, at=iso(d(2026, 10, 6)), ref="P-KEDUA")
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
        assert (statement_total(agent, OCTOBER), office_total(office, OCTOBER)) == (511_040, 51_104)

        enrollment_services.payment_reverse(channel=channel, channel_ref="P-KEDUA")
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)  # reversed once

    bonus = FeeLine.objects.get(kind=LineKind.ACQUISITION_BONUS)
    taken_back = FeeLine.objects.get(reverses=bonus)
    assert (taken_back.kind, taken_back.amount) == (LineKind.REVERSAL, -500_000)
    assert taken_back.source_key == f"reversal:{bonus.pk}"
    assert taken_back.statement.period == OCTOBER
    override = FeeLine.objects.get(override_of=taken_back)
    assert (override.amount, override.statement.kantor_perisai) == (-50_000, office)
    assert (statement_total(agent, OCTOBER), office_total(office, OCTOBER)) == (5_520, 552)


def test_activations_of_flagged_registrations_earn_no_bonus(kendari, channel, no_auto_recompute):
    # Bonus at two activations. Agent A: two clean recruits -> 5,520 x 2 + 500,000 =
    # 511,040. Agent B: one clean recruit and one whose NIK was issued in another province
    # (flagged by the rules): one activation counts, no bonus; the flagged recruit's
    # 5,520 is held, so B is paid 5,520.
    scheme_from_october(bonus_min_activations=2)
    with time_machine.travel(LATE_OCTOBER):
        clean, suspect = active_agent(kendari), active_agent(kendari)
        for n in (1, 2):
            pay(channel, register(clean, n), months=1, at=iso(d(2026, 10, 5)))
        pay(channel, register(suspect, 3), months=1, at=iso(d(2026, 10, 5)))
        far = register(suspect, 4)
        type(far.participant).objects.filter(pk=far.participant_id).update(nik_province_code="31")
        pay(channel, far, months=1, at=iso(d(2026, 10, 5)))
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)

    assert RegistrationFlag.objects.get().registration == far
    bonuses = FeeLine.objects.filter(kind=LineKind.ACQUISITION_BONUS)
    assert [(line.agent, line.amount) for line in bonuses] == [(clean, 500_000)]
    assert FeeLine.objects.get(registration=far).held is True
    assert (statement_total(clean, OCTOBER), statement_total(suspect, OCTOBER)) == (511_040, 5_520)


@pytest.mark.parametrize(
    ("review", "bonus"),
    [
        (None, 0),  # a staff flag awaiting review
        (services.flags_confirm_fraud, 0),
        (services.flags_clear, 500_000),  # cleared before the recompute: it counts
    ],
)
def test_a_staff_flag_keeps_an_activation_out_of_the_bonus_until_cleared(
    kendari, channel, no_auto_recompute, staff_user, review, bonus
):
    scheme_from_october(bonus_min_activations=2)
    with time_machine.travel(LATE_OCTOBER):
        agent = active_agent(kendari)
        pay(channel, register(agent, 1), months=1, at=iso(d(2026, 10, 5)))
        doubtful = register(agent, 2)
        services.registration_flag(registration=doubtful, by=staff_user, note="Tanda tangan")
        if review is not None:
            review(registration=doubtful, by=staff_user)
        pay(channel, doubtful, months=1, at=iso(d(2026, 10, 6)))
        services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
    bonuses = FeeLine.objects.filter(kind=LineKind.ACQUISITION_BONUS)
    assert sum(line.amount for line in bonuses) == bonus


def test_a_month_without_a_scheme_answers_its_requests_and_says_so(kendari):
    PendingRecompute.objects.create(branch=kendari, period="2017-06")  # before any scheme
    with pytest.raises(NoSchemeError) as refused:
        services.fees_recompute_branch(branch_id=kendari.pk, period="2017-06")
    assert isinstance(refused.value, ApplicationError)
    assert refused.value.code == "fee_scheme_missing"
    assert not PendingRecompute.objects.exists()
    assert recompute_branch.run(kendari.pk, "2017-06") == 0  # the task logs and moves on
    with pytest.raises(CommandError, match="2017-06"):
        call_command("recompute_fees", "2017-06")
