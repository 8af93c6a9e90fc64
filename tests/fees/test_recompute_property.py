"""The recompute's SQL against the oracle of fees/rules.py, on generated months.

Each example is a month in one branch: agents with or without a Kantor Perisai, some no
longer active; recruits, some flagged by the fraud rules; payments in any order of
dates, some arriving after the first recompute, some reversed after it, so a bonus can
be earned and then lost. The real recompute runs on the test database three times (after
the first payments, after the late payments and the reversals, and once more for
nothing), and after each run every line of the ledger and every statement's total must
be what the rules say. Each example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from agents.models import Agent, KantorPerisai
from agents.services import agent_deactivate
from enrollments import services as enrollment_services
from enrollments.models import Participant, PaymentLine
from enrollments.pricing import PAYMENT_PERIODS
from fees import selectors, services
from fees.models import FeeLine, FeeScheme, FeeStatement, LineKind
from fees.rules import commission_lines, share
from tests.builders import active_agent, iso, pay, register

pytestmark = pytest.mark.django_db

OCTOBER = "2026-10"
# 20:00 on 28 October in Kendari (WITA): every payment and reversal falls in October.
NOW = datetime.datetime(2026, 10, 28, 12, 0, tzinfo=datetime.UTC)
FAR_PROVINCE = "31"  # a NIK issued in Jakarta: the fraud rules flag it in Kendari
AGENTS, OFFICES = 3, 2


# What a month is made of -------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    commission_ppm: int
    override_ppm: int
    bonus_amount: int
    bonus_min_activations: int


@dataclass(frozen=True)
class AgentPlan:
    office: int | None
    active: bool


@dataclass(frozen=True)
class Recruit:
    agent: int
    with_jht: bool
    flagged: bool


@dataclass(frozen=True)
class Payment:
    recruit: int
    months: int
    day: int
    late: bool  # arrives after the first recompute
    reversed: bool  # reversed after the first recompute


@dataclass(frozen=True)
class Month:
    scheme: Scheme
    agents: tuple[AgentPlan, ...]
    recruits: tuple[Recruit, ...]
    payments: tuple[Payment, ...]


PPM = st.one_of(st.sampled_from([6_250, 75_000, 100_000, 150_000]), st.integers(0, 1_000_000))


@st.composite
def months(draw: st.DrawFn) -> Month:
    scheme = Scheme(
        commission_ppm=draw(PPM),
        override_ppm=draw(PPM),
        bonus_amount=draw(st.one_of(st.just(0), st.integers(1, 1_000_000))),
        bonus_min_activations=draw(st.integers(0, 3)),
    )
    agents = draw(
        st.lists(
            st.builds(
                AgentPlan,
                office=st.one_of(st.none(), st.integers(0, OFFICES - 1)),
                active=st.sampled_from([True, True, False]),
            ),
            min_size=1,
            max_size=AGENTS,
        )
    )
    recruits = draw(
        st.lists(
            st.builds(
                Recruit,
                agent=st.integers(0, len(agents) - 1),
                with_jht=st.booleans(),
                flagged=st.sampled_from([False, False, True]),
            ),
            min_size=1,
            max_size=6,
        )
    )
    payments = draw(
        st.lists(
            st.builds(
                Payment,
                recruit=st.integers(0, len(recruits) - 1),
                months=st.sampled_from(PAYMENT_PERIODS),
                day=st.integers(1, 27),
                late=st.booleans(),
                reversed=st.booleans(),
            ),
            min_size=1,
            max_size=10,
        )
    )
    return Month(scheme, tuple(agents), tuple(recruits), tuple(payments))


# The oracle: what one recompute adds, by the rules, in plain Python -------------------

# ("commission", payment) | ("bonus", agent) | ("reversal", key) | ("override", key)
Key = tuple
Owner = tuple[str, int]  # ("agent", index) or ("office", index)


@dataclass(frozen=True)
class Line:
    amount: int
    held: bool
    owner: Owner


@dataclass
class Facts:
    """What has happened so far: payments in arrival order, with their amounts."""

    paid: dict[int, int]  # payment index -> amount, in arrival order
    reversed: set[int]


def oracle_recompute(month: Month, facts: Facts, ledger: dict[Key, Line]) -> dict[Key, Line]:
    """The ledger after one recompute: ``ledger`` and the lines the rules add to it. A
    line already written is never written again (its ``source_key`` is taken)."""
    scheme, after = month.scheme, dict(ledger)

    def add(key: Key, line: Line) -> None:
        after.setdefault(key, line)

    for agent in range(len(month.agents)):
        payments = [
            p for p in facts.paid if month.recruits[month.payments[p].recruit].agent == agent
        ]
        amounts = [facts.paid[p] for p in payments]
        for payment, amount in zip(
            payments, commission_lines(amounts, scheme.commission_ppm), strict=True
        ):
            flagged = month.recruits[month.payments[payment].recruit].flagged
            add(("commission", payment), Line(amount, flagged, ("agent", agent)))
    for payment in facts.reversed:
        original = after[("commission", payment)]
        add(
            ("reversal", ("commission", payment)),
            Line(-original.amount, original.held, original.owner),
        )

    activated = {
        month.payments[p].recruit
        for p in facts.paid
        if p not in facts.reversed and not month.recruits[month.payments[p].recruit].flagged
    }
    activations: dict[int, int] = defaultdict(int)
    for recruit in activated:
        activations[month.recruits[recruit].agent] += 1
    earning = {a for a, n in activations.items() if n >= scheme.bonus_min_activations}
    with_bonus = {key[1] for key in after if key[0] == "bonus"}
    if scheme.bonus_amount:
        for agent in earning:
            add(("bonus", agent), Line(scheme.bonus_amount, False, ("agent", agent)))
    for agent in with_bonus - earning:
        bonus = after[("bonus", agent)]
        add(("reversal", ("bonus", agent)), Line(-bonus.amount, bonus.held, bonus.owner))

    for key, line in list(after.items()):
        if key[0] == "override":
            continue
        plan = month.agents[line.owner[1]]
        if plan.active and plan.office is not None:
            amount = share(line.amount, scheme.override_ppm)
            add(("override", key), Line(amount, line.held, ("office", plan.office)))
    return after


def described(key: Key) -> str:
    """("override", ("reversal", ("bonus", 0))) -> "override of reversal of bonus"."""
    return key[0] if key[0] in ("commission", "bonus") else f"{key[0]} of {described(key[1])}"


def payable(ledger: dict[Key, Line]) -> dict[Owner, int]:
    totals: dict[Owner, int] = defaultdict(int)
    for line in ledger.values():
        totals[line.owner] += 0 if line.held else line.amount
    return totals


# The ledger as the database has it, in the oracle's terms ------------------------------


@dataclass
class Cast:
    agents: list[int]  # ids, by index
    offices: list[int]


def agents_of(cast: Cast) -> list[Agent]:
    by_id = Agent.objects.in_bulk(cast.agents)
    return [by_id[pk] for pk in cast.agents]


def owner_of(statement: FeeStatement, cast: Cast) -> Owner:
    if statement.agent_id is not None:
        return ("agent", cast.agents.index(statement.agent_id))
    assert statement.kantor_perisai_id is not None
    return ("office", cast.offices.index(statement.kantor_perisai_id))


def ledger_in_db(cast: Cast, payments: dict[int, int]) -> dict[Key, Line]:
    """Every fee line, keyed by what earned it. ``payments`` maps payment line ids to
    the month's payment indexes."""
    lines = {line.pk: line for line in FeeLine.objects.select_related("statement")}

    def key(line: FeeLine) -> Key:
        if line.kind == LineKind.COMMISSION:
            assert line.payment_line_id is not None
            assert line.source_key == f"commission:{line.payment_line_id}"
            return ("commission", payments[line.payment_line_id])
        if line.kind == LineKind.ACQUISITION_BONUS:
            assert line.source_key == f"bonus:{line.agent_id}:{OCTOBER}"
            return ("bonus", cast.agents.index(line.agent_id))
        if line.kind == LineKind.REVERSAL:
            assert line.reverses_id is not None
            assert line.source_key == f"reversal:{line.reverses_id}"
            return ("reversal", key(lines[line.reverses_id]))
        assert line.kind == LineKind.OVERRIDE
        assert line.override_of_id is not None
        assert line.source_key == f"override:{line.override_of_id}"
        return ("override", key(lines[line.override_of_id]))

    ledger = {}
    for line in lines.values():
        assert (line.earned_period, line.statement.period) == (OCTOBER, OCTOBER)
        ledger[key(line)] = Line(line.amount, line.held, owner_of(line.statement, cast))
    assert len(ledger) == len(lines)
    return ledger


def totals_in_db(cast: Cast) -> dict[Owner, int]:
    """Each statement's total as the API shows it, and each agent's fee of the month as
    ``GET /api/v1/agent/me`` does."""
    totals: dict[Owner, int] = defaultdict(int)
    for statement in selectors.statements_with_totals(FeeStatement.objects.all()):
        assert statement.period == OCTOBER
        totals[owner_of(statement, cast)] = statement.total_amount  # type: ignore[attr-defined]
    for n, agent in enumerate(agents_of(cast)):
        assert selectors.agent_month_fee(agent=agent, period=OCTOBER)["fee"] == totals[("agent", n)]
    return totals


def assert_same(cast: Cast, payments: dict[int, int], expected: dict[Key, Line]) -> None:
    assert ledger_in_db(cast, payments) == expected
    wanted = payable(expected)
    shown = totals_in_db(cast)
    for owner in wanted.keys() | shown.keys():
        assert shown[owner] == wanted[owner], owner


# The property --------------------------------------------------------------------------


@pytest.fixture
def cast(kendari) -> Cast:
    agents = [active_agent(kendari).pk for _ in range(AGENTS)]
    offices = [
        KantorPerisai.objects.create(code=f"KP-{n}", name=f"Kantor Perisai {n}", branch=kendari).pk
        for n in range(OFFICES)
    ]
    return Cast(agents, offices)


def play(month: Month, cast: Cast, kendari, channel) -> None:
    scheme = month.scheme
    FeeScheme.objects.create(
        name="Skema uji",
        commission_percent=Decimal(scheme.commission_ppm).scaleb(-4),
        bonus_amount=scheme.bonus_amount,
        bonus_min_activations=scheme.bonus_min_activations,
        override_percent=Decimal(scheme.override_ppm).scaleb(-4),
        effective_from=datetime.date(2026, 10, 1),
    )
    agents = agents_of(cast)
    registrations = [
        register(
            agents[recruit.agent],
            n,
            programs=frozenset({"JKK", "JKM", "JHT"} if recruit.with_jht else {"JKK", "JKM"}),
        )
        for n, recruit in enumerate(month.recruits, start=1)
    ]
    for registration, recruit in zip(registrations, month.recruits, strict=True):
        if recruit.flagged:
            Participant.objects.filter(pk=registration.participant_id).update(
                nik_province_code=FAR_PROVINCE
            )
    for agent, plan in zip(agents, month.agents, strict=False):
        if not plan.active:
            agent_deactivate(agent=agent, by=None, reason="Uji")
        office = cast.offices[plan.office] if plan.office is not None else None
        Agent.objects.filter(pk=agent.pk).update(kantor_perisai_id=office)

    facts = Facts(paid={}, reversed=set())
    payment_lines: dict[int, int] = {}

    def receive(index: int) -> None:
        payment = month.payments[index]
        registration = registrations[payment.recruit]
        pay(
            channel,
            registration,
            months=payment.months,
            at=iso(datetime.date(2026, 10, payment.day)),
            ref=f"P-{index}",
        )
        line = PaymentLine.objects.get(payment__channel_ref=f"P-{index}")
        payment_lines[line.pk] = index
        facts.paid[index] = line.amount

    def recompute(expected_before: dict[Key, Line]) -> dict[Key, Line]:
        expected = oracle_recompute(month, facts, expected_before)
        result = services.fees_recompute_branch(branch_id=kendari.pk, period=OCTOBER)
        assert_same(cast, payment_lines, expected)
        if connection.vendor == "postgresql":  # sqlite3 counts no rows of a WITH ... INSERT
            assert result.inserted == len(expected) - len(expected_before)
        return expected

    for index, payment in enumerate(month.payments):
        if not payment.late:
            receive(index)
    first = recompute({})

    for index, payment in enumerate(month.payments):
        if payment.late:
            receive(index)
    for index, payment in enumerate(month.payments):
        if payment.reversed:
            enrollment_services.payment_reverse(channel=channel, channel_ref=f"P-{index}")
            facts.reversed.add(index)
    second = recompute(first)
    assert recompute(second) == second  # nothing left to write

    for path in sorted({described(key) for key in second}):
        event(path)  # pytest --hypothesis-show-statistics: which kinds of line were tested
    if any(line.held for line in second.values()):
        event("held lines")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(month=months())
def test_the_recompute_writes_the_lines_the_rules_say(
    month, cast, kendari, channel, no_auto_recompute
):
    with time_machine.travel(NOW), transaction.atomic():
        play(month, cast, kendari, channel)
        transaction.set_rollback(True)  # the next example starts from the same database
