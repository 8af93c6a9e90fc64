"""Retention cohorts: the set-based SQL of tallies.services.retention_recompute against
the rule written the slow, obvious way (the oracle below: enrollments.coverage replayed
per participant and day), then the API, the dashboard's chart and the agent's own
figures on /agent/me."""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext, override
from rest_framework.test import APIClient

from agents.models import Branch, StaffProfile
from core.dates import add_months, month_end
from enrollments import coverage
from enrollments import services as enrollment_services
from enrollments.models import PaymentLine, Registration
from fees.models import FeeScheme
from fees.rules import rate_ppm, share
from tallies.models import RETENTION_MONTHS, AgentRetentionCohort, RetentionCohort
from tallies.services import retention_recompute, tallies_recompute
from tests.agents.factories import BranchFactory
from tests.builders import active_agent, agent_client, pay, register, staff
from tests.core.factories import RegencyFactory
from tests.races import race

pytestmark = pytest.mark.django_db

d = datetime.date
UTC = datetime.UTC
RETENTION = "/api/v1/tallies/retention"
FIGURES = ("registered", "paid_once", "active_3", "active_6", "active_12")


# The oracle -----------------------------------------------------------------------------


def reference_cohorts(now: datetime.datetime) -> dict[tuple[int, int, datetime.date], dict]:
    """Every (agent, branch, cohort) the slow way: for each registration, its local
    registration day; for each k, the day k months later and, when every member's such
    day has passed, the participant's status on it by enrollments.coverage from the
    standing payment lines paid by then."""
    cohorts: dict[tuple[int, int, datetime.date], dict] = {}
    registrations = Registration.objects.select_related("branch", "participant__branch")
    for registration in registrations:
        zone = registration.branch.zone
        registered_on = registration.created_at.astimezone(zone).date()
        cohort = registered_on.replace(day=1)
        today = now.astimezone(zone).date()
        payer_zone = registration.participant.branch.zone
        lines = [
            (line.paid_at.astimezone(payer_zone).date(), line.months)
            for line in PaymentLine.objects.filter(
                participant=registration.participant, reversed_at__isnull=True
            ).order_by("paid_at", "id")
        ]
        row = cohorts.setdefault(
            (registration.agent_id, registration.branch_id, cohort),
            {"registered": 0, "paid_once": 0}
            | {
                f"active_{k}": (0 if month_end(add_months(cohort, k)) < today else None)
                for k in RETENTION_MONTHS
            },
        )
        row["registered"] += 1
        row["paid_once"] += bool(lines)
        for k in RETENTION_MONTHS:
            if row[f"active_{k}"] is None:
                continue
            day = add_months(registered_on, k)
            paid_through = coverage.paid_through_of(
                (paid_on, months) for paid_on, months in lines if paid_on <= day
            )
            row[f"active_{k}"] += coverage.status_on(paid_through, day) == coverage.ACTIVE
    return cohorts


def stored_agent_cohorts() -> dict[tuple[int, int, datetime.date], dict]:
    return {
        (row.agent_id, row.branch_id, row.cohort): {name: getattr(row, name) for name in FIGURES}
        for row in AgentRetentionCohort.objects.all()
    }


def summed_by_branch(cohorts: dict) -> dict[tuple[int, datetime.date], dict]:
    branches: dict[tuple[int, datetime.date], dict] = {}
    for (_agent, branch, cohort), figures in cohorts.items():
        total = branches.setdefault((branch, cohort), dict.fromkeys(FIGURES, 0))
        for name, value in figures.items():
            total[name] = None if value is None or total[name] is None else total[name] + value
    return branches


# The SQL against the oracle -------------------------------------------------------------


@pytest.fixture
def jayapura(region):
    return BranchFactory.create(
        code="JAP",
        region=region,
        regency=RegencyFactory.create(code="9171", name="Kota Jayapura"),
        time_zone=Branch.TimeZone.WIT,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cohorts_match_a_reference_computation_on_random_histories(
    seed, kendari, palangka, jayapura, channel, no_auto_recompute
):
    rng = random.Random(seed)
    agents = [active_agent(kendari), active_agent(kendari), active_agent(palangka)]
    agents.append(active_agent(jayapura))
    base = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    now = datetime.datetime(2026, 11, 20, 3, tzinfo=UTC)
    captured = datetime.datetime(2024, 12, 1, tzinfo=UTC)
    for n in range(1, 41):
        registration = register(rng.choice(agents), 1000 * seed + n, captured=captured)
        # Some at the very end or start of a month, where the zones disagree on the date.
        if rng.random() < 0.25:
            month = add_months(d(2025, 1, 1), rng.randrange(0, 22))
            created = datetime.datetime(
                month.year, month.month, 1, tzinfo=UTC
            ) - datetime.timedelta(hours=rng.choice((1, 10, 17)))
        else:
            created = base + datetime.timedelta(hours=rng.randrange(0, 24 * 680))
        Registration.objects.filter(pk=registration.pk).update(created_at=created)
        when = created - datetime.timedelta(days=rng.randrange(0, 3))
        for _ in range(rng.randrange(0, 5)):
            when += datetime.timedelta(hours=rng.randrange(0, 24 * 150))
            if when >= now:
                break
            answer = pay(channel, registration, months=rng.choice((1, 1, 3, 6, 12)), at=when)
            if rng.random() < 0.15:
                enrollment_services.payment_reverse(channel=channel, channel_ref=answer.channel_ref)

    retention_recompute(now=now)

    expected = reference_cohorts(now)
    assert stored_agent_cohorts() == expected
    assert {
        (row.branch_id, row.cohort): {name: getattr(row, name) for name in FIGURES}
        for row in RetentionCohort.objects.all()
    } == summed_by_branch(expected)
    # Some figures known, some not yet, some workers active and some lapsed: the
    # histories exercise every path.
    known = [row["active_3"] for row in expected.values() if row["active_3"] is not None]
    assert known and any(known) and any(row["active_12"] is None for row in expected.values())


def _registered(agent, n: int, at: datetime.datetime) -> Registration:
    registration = register(agent, n, captured=at - datetime.timedelta(hours=1))
    Registration.objects.filter(pk=registration.pk).update(created_at=at)
    registration.refresh_from_db()
    return registration


def test_a_worked_example_of_the_definitions(kendari, channel, no_auto_recompute):
    """Kendari (WITA). Registered on 31 August 2025: the 6-month day is 28 February 2026
    (add_months clamps), the 3-month day 30 November."""
    agent = active_agent(kendari)
    steady = _registered(agent, 1, datetime.datetime(2025, 8, 31, 2, tzinfo=UTC))
    # One month paid on the day: paid through 31 August; active until the end of
    # November, non-active from 1 December.
    pay(channel, steady, months=1, at=datetime.datetime(2025, 8, 31, 3, tzinfo=UTC))
    late = _registered(agent, 2, datetime.datetime(2025, 8, 2, 2, tzinfo=UTC))
    # Never paid in time for 3 months; 12 months paid on 1 March 2026 (local), after the
    # 6-month day (2 February 2026) but before the 12-month one.
    pay(channel, late, months=12, at=datetime.datetime(2026, 2, 28, 17, tzinfo=UTC))
    _registered(agent, 3, datetime.datetime(2025, 8, 15, 2, tzinfo=UTC))  # never pays

    retention_recompute(now=datetime.datetime(2026, 8, 31, 15, tzinfo=UTC))  # 23:00, 31 Aug
    row = RetentionCohort.objects.get(branch=kendari, cohort=d(2025, 8, 1))
    assert (row.registered, row.paid_once, row.active_3, row.active_6, row.active_12) == (
        3,
        2,
        1,  # steady, on 30 November
        0,
        None,  # the 12-month day of 31 August's worker has not passed yet
    )
    retention_recompute(now=datetime.datetime(2026, 8, 31, 16, tzinfo=UTC))  # 1 Sept, WITA
    assert RetentionCohort.objects.get(cohort=d(2025, 8, 1)).active_12 == 1  # late


def test_a_reversed_payment_never_counts(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    registration = _registered(agent, 1, datetime.datetime(2026, 1, 10, 2, tzinfo=UTC))
    answer = pay(channel, registration, months=12, at=datetime.datetime(2026, 1, 10, 3, tzinfo=UTC))
    enrollment_services.payment_reverse(channel=channel, channel_ref=answer.channel_ref)
    retention_recompute(now=datetime.datetime(2026, 11, 1, tzinfo=UTC))
    row = RetentionCohort.objects.get()
    assert (row.paid_once, row.active_3, row.active_6, row.active_12) == (0, 0, 0, None)


def test_recomputing_changes_nothing_and_drops_cohorts_that_are_gone(
    kendari, channel, no_auto_recompute
):
    agent = active_agent(kendari)
    registration = _registered(agent, 1, datetime.datetime(2026, 3, 10, 2, tzinfo=UTC))
    pay(channel, registration, months=3, at=datetime.datetime(2026, 3, 10, 3, tzinfo=UTC))
    tallies_recompute(day=d(2026, 10, 1))
    first = stored_agent_cohorts()
    tallies_recompute(day=d(2026, 10, 2))
    assert stored_agent_cohorts() == first
    assert AgentRetentionCohort.objects.count() == RetentionCohort.objects.count() == 1
    # The registration's month changes (a correction): the March cohort disappears.
    Registration.objects.filter(pk=registration.pk).update(
        created_at=datetime.datetime(2026, 4, 10, 2, tzinfo=UTC)
    )
    retention_recompute()
    assert list(RetentionCohort.objects.values_list("cohort", flat=True)) == [d(2026, 4, 1)]
    assert list(AgentRetentionCohort.objects.values_list("cohort", flat=True)) == [d(2026, 4, 1)]


def test_a_backfill_computes_the_cohorts_once(kendari, channel, no_auto_recompute, monkeypatch):
    from tallies import services

    calls = []
    real = services.retention_recompute

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "retention_recompute", counted)
    services.tallies_backfill(first=d(2026, 10, 1), last=d(2026, 10, 5))
    assert len(calls) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_recomputes_leave_the_rows_of_one(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    for n in range(1, 6):
        registration = _registered(agent, n, datetime.datetime(2026, n, 10, 2, tzinfo=UTC))
        months = (1, 3, 6, 12, 1)[n - 1]
        pay(channel, registration, months=months, at=datetime.datetime(2026, n, 11, tzinfo=UTC))
    now = datetime.datetime(2026, 11, 20, tzinfo=UTC)
    # Four runs a minute apart, all at once: the advisory lock lets one at a time through,
    # and the last leaves its rows whole (none deleted as another run's).
    race(lambda i: retention_recompute(now=now + datetime.timedelta(minutes=i)), 4)
    assert stored_agent_cohorts() == reference_cohorts(now)
    assert RetentionCohort.objects.count() == 5
    stamps = {row.computed_at for row in AgentRetentionCohort.objects.all()}
    assert len(stamps | {row.computed_at for row in RetentionCohort.objects.all()}) == 1


# The API --------------------------------------------------------------------------------


@pytest.fixture
def cohorts(kendari, manado, channel, no_auto_recompute):
    agent = active_agent(kendari, full_name="Agen Kendari")
    for n, day in enumerate((d(2025, 1, 15), d(2025, 1, 20), d(2025, 2, 3)), start=1):
        registration = _registered(
            agent, n, datetime.datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
        )
        if n != 2:
            paid_at = datetime.datetime(day.year, day.month, day.day + 1, tzinfo=UTC)
            pay(channel, registration, months=3, at=paid_at)
    _registered(active_agent(manado), 9, datetime.datetime(2025, 1, 5, 2, tzinfo=UTC))
    retention_recompute(now=datetime.datetime(2025, 8, 1, tzinfo=UTC))
    return agent


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_branch_staff_get_their_branch_cohorts(cohorts, kendari):
    client = _client(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    body = client.get(RETENTION, {"year": "2025"}).json()
    for row in body["results"]:
        assert row.pop("computed_at")
    assert body == {
        "year": 2025,
        "results": [
            {
                "branch": {"code": "KDI", "name": "Kendari"},
                "cohort": "2025-01",
                "registered": 2,
                "paid_once": 1,
                # Paid through 31 March: active on 15 April; not on 15 July, when the
                # cutoff is 1 April.
                "active_3": 1,
                "active_6": 0,
                "active_12": None,
                "paid_once_pct": 50.0,
                "active_3_pct": 50.0,
                "active_6_pct": 0.0,
                "active_12_pct": None,
            },
            {
                "branch": {"code": "KDI", "name": "Kendari"},
                "cohort": "2025-02",
                "registered": 1,
                "paid_once": 1,
                "active_3": 1,
                "active_6": None,  # August 2025 has not ended on 1 August
                "active_12": None,
                "paid_once_pct": 100.0,
                "active_3_pct": 100.0,
                "active_6_pct": None,
                "active_12_pct": None,
            },
        ],
        "agents": [],
        # Kendari is not the whole of its region, nor the nation: no sums under their names.
        "regions": [],
        "nation": None,
    }


def test_a_branch_gives_its_agents_rows_and_a_csv(cohorts, kendari):
    client = _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    body = client.get(RETENTION, {"year": "2025", "branch": "KDI"}).json()
    assert [(row["agent"]["code"], row["cohort"]) for row in body["agents"]] == [
        (cohorts.code, "2025-01"),
        (cohorts.code, "2025-02"),
    ]
    assert body["agents"][0]["agent"]["full_name"] == "Agen Kendari"
    response = client.get(RETENTION, {"year": "2025", "branch": "KDI", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="retention-2025-KDI.csv"'
    lines = response.content.decode().splitlines()
    assert lines[0].startswith(
        "level,region,branch,agent,name,cohort,registered,paid_once,active_3"
    )
    assert lines[1].startswith("branch,,KDI,,Kendari,2025-01,2,1,1,0,,50.0,50.0,0.0,,")
    assert lines[3].startswith(f"agent,,KDI,{cohorts.code},Agen Kendari,2025-01,2,1,1,0,,")
    assert len(lines) == 5


def test_head_office_sees_every_branch(cohorts):
    body = _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)).get(
        RETENTION, {"year": "2025"}
    )
    assert [(row["branch"]["code"], row["cohort"]) for row in body.json()["results"]] == [
        ("KDI", "2025-01"),
        ("KDI", "2025-02"),
        ("MDO", "2025-01"),
    ]


@pytest.mark.parametrize(
    "query",
    [{"branch": ""}, {"year": ""}, {"year": "1999"}, {"region": ""}, {"format": ""}, {"year": "x"}],
)
def test_malformed_retention_queries_are_400(cohorts, kendari, query):
    client = _client(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.get(RETENTION, query)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["fields"]) == set(query)


@pytest.mark.parametrize("query", [{"branch": "MDO"}, {"region": "KW-X"}, {"branch": "XXX"}])
def test_a_branch_outside_the_scope_is_404(cohorts, kendari, query):
    client = _client(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.get(RETENTION, {"year": "2025", **query})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_agents_and_anonymous_cannot_read_retention(cohorts):
    assert APIClient().get(RETENTION).status_code == 401
    assert _client(cohorts.user).get(RETENTION).status_code == 403


def test_the_retention_query_count_does_not_grow_with_rows(cohorts, kendari):
    user = staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)
    counts = []
    for extra in (0, 6):
        for n in range(extra):
            _registered(
                active_agent(kendari), 100 + n, datetime.datetime(2025, 3 + n, 5, tzinfo=UTC)
            )
        retention_recompute(now=datetime.datetime(2025, 12, 1, tzinfo=UTC))
        # A fresh user per request, as a signed-in request gets: nothing cached on it.
        client = _client(type(user).objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(RETENTION, {"year": "2025", "branch": "KDI"})
        assert response.status_code == 200
        counts.append(len(captured))
    assert len(response.json()["agents"]) == 8
    assert counts[0] == counts[1]


# Roll-ups -------------------------------------------------------------------------------

SUMMED = ("registered", "paid_once", "active_3", "active_6", "active_12")


def _sums(rows: list[dict]) -> dict[str, dict]:
    """The oracle of a roll-up: its branches' rows added up per month, a figure unknown
    (None) as soon as one of them does not know it."""
    sums: dict[str, dict] = {}
    for row in rows:
        total = sums.setdefault(row["cohort"], dict.fromkeys(SUMMED, 0))
        for name in SUMMED:
            known = total[name]
            total[name] = None if row[name] is None or known is None else known + row[name]
    return sums


def _figures(rows: list[dict]) -> dict[str, dict]:
    return {row["cohort"]: {name: row[name] for name in SUMMED} for row in rows}


def test_region_and_nation_rows_are_the_sums_of_their_branches(cohorts, palangka, channel):
    registration = _registered(
        active_agent(palangka), 20, datetime.datetime(2025, 1, 8, 3, tzinfo=UTC)
    )
    pay(channel, registration, months=12, at=datetime.datetime(2025, 1, 9, tzinfo=UTC))
    retention_recompute(now=datetime.datetime(2025, 8, 1, tzinfo=UTC))

    body = (
        _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
        .get(RETENTION, {"year": "2025"})
        .json()
    )
    region_of = dict(Branch.objects.values_list("code", "region__code"))
    by_region: dict[str, list[dict]] = {}
    for row in body["results"]:
        by_region.setdefault(region_of[row["branch"]["code"]], []).append(row)
    regions: dict[str, list[dict]] = {}
    for row in body["regions"]:
        regions.setdefault(row["region"]["code"], []).append(row)
    assert sorted(regions) == ["KW-KALIMANTAN", "KW-SULAMA"]
    for code, rows in regions.items():
        assert _figures(rows) == _sums(by_region[code])
    assert _figures(body["nation"]) == _sums(body["results"])

    sulama_january = regions["KW-SULAMA"][0]
    assert sulama_january["region"]["name"] == Branch.objects.get(code="KDI").region.name
    # Kendari 1 of 2 paid (50%), Manado 0 of 1: the region's share is 1 of 3, not the
    # average of the branches' shares.
    assert (sulama_january["cohort"], sulama_january["registered"]) == ("2025-01", 3)
    assert sulama_january["paid_once_pct"] == 33.3
    assert sulama_january["active_3_pct"] == 33.3
    assert sulama_january["active_12_pct"] is None
    nation_january = body["nation"][0]
    assert (nation_january["registered"], nation_january["paid_once"]) == (4, 2)
    assert nation_january["paid_once_pct"] == 50.0
    assert nation_january["computed_at"]


def test_a_sum_does_not_know_a_figure_until_each_of_its_branches_does(kendari, manado):
    """Near a month's turn one time zone may know a figure that another does not yet:
    the sum waits for both rather than show one branch's part as the region's."""
    now = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    common = {"cohort": d(2025, 9, 1), "paid_once": 5, "active_3": 4, "computed_at": now}
    RetentionCohort.objects.create(branch=kendari, registered=10, active_6=None, **common)
    RetentionCohort.objects.create(branch=manado, registered=6, active_6=3, **common)
    body = (
        _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
        .get(RETENTION, {"year": "2025"})
        .json()
    )
    for row in (*body["regions"], *body["nation"]):
        assert (row["registered"], row["paid_once"], row["active_3"], row["active_6"]) == (
            16,
            10,
            8,
            None,
        )
        assert (row["active_3_pct"], row["active_6_pct"]) == (50.0, None)


def test_regional_staff_get_their_region_and_not_the_nation(cohorts, region, palangka):
    client = _client(staff("staf.sulama", StaffProfile.Level.REGION, region=region))
    body = client.get(RETENTION, {"year": "2025"}).json()
    assert {row["branch"]["code"] for row in body["results"]} == {"KDI", "MDO"}
    assert [(row["region"]["code"], row["cohort"]) for row in body["regions"]] == [
        ("KW-SULAMA", "2025-01"),
        ("KW-SULAMA", "2025-02"),
    ]
    assert body["nation"] is None


@pytest.mark.parametrize(
    ("query", "regions", "nation"),
    [
        ({}, ["KW-SULAMA"], True),
        ({"region": "KW-SULAMA"}, ["KW-SULAMA"], False),
        # Kendari alone is part of its region: no region row under the region's name.
        ({"branch": "KDI"}, [], False),
    ],
)
def test_head_office_narrowing_the_answer_narrows_the_roll_ups(
    cohorts, palangka, query, regions, nation
):
    body = (
        _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
        .get(RETENTION, {"year": "2025", **query})
        .json()
    )
    assert sorted({row["region"]["code"] for row in body["regions"]}) == regions
    assert (body["nation"] is not None) == nation


def test_branch_staff_get_no_roll_ups(cohorts, kendari):
    body = (
        _client(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
        .get(RETENTION, {"year": "2025"})
        .json()
    )
    assert (body["regions"], body["nation"]) == ([], None)


def test_the_csv_ends_with_the_region_and_nation_rows(cohorts, region):
    response = _client(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)).get(
        RETENTION, {"year": "2025", "format": "csv"}
    )
    lines = response.content.decode().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "level",
        *["branch"] * 3,
        *["region"] * 2,
        *["nation"] * 2,
    ]
    assert lines[4].startswith(f"region,KW-SULAMA,,,{region.name},2025-01,3,1,1,0,,33.3,33.3,0.0,,")
    assert lines[5].startswith(f"region,KW-SULAMA,,,{region.name},2025-02,1,1,1,,,100.0,100.0,,,")
    assert lines[6].startswith("nation,,,,Indonesia,2025-01,3,1,1,0,,33.3,33.3,0.0,,")


@pytest.mark.parametrize("response_format", ["json", "csv"])
def test_the_roll_ups_query_count_does_not_grow_with_branches(cohorts, response_format):
    user = staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE)
    counts = []
    for added in (0, 6):
        for n in range(added):
            branch = BranchFactory.create()
            _registered(active_agent(branch), 200 + n, datetime.datetime(2025, 4, 5, tzinfo=UTC))
        retention_recompute(now=datetime.datetime(2025, 12, 1, tzinfo=UTC))
        client = _client(type(user).objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(RETENTION, {"year": "2025", "format": response_format})
        assert response.status_code == 200
        counts.append(len(captured))
    body = _client(user).get(RETENTION, {"year": "2025"}).json()
    # 8 branches: 7 regions (KW-SULAMA and one per added branch), the nation.
    assert len({row["region"]["code"] for row in body["regions"]}) == 7
    assert [row["cohort"] for row in body["nation"]] == ["2025-01", "2025-02", "2025-04"]
    assert counts[0] == counts[1]


# The dashboard --------------------------------------------------------------------------


def test_the_dashboard_draws_the_cohorts(cohorts, kendari):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    html = client.get(
        "/admin/tallies/dailytally/dashboard/?level=branch&code=KDI&year=2025"
    ).content.decode()
    with override("id"):
        three, six = gettext("Active after 3 months"), gettext("Active after 6 months")
    assert 'data-chart="cohorts"' in html
    assert f'data-cohort="Jan 25" data-series="{three}" data-value="50.0"' in html
    assert 'data-cohort="Feb 25" data-registered="1"' in html
    # The 6-month share of February is not known yet: no bar.
    assert f'data-cohort="Feb 25" data-series="{six}"' not in html


def test_a_label_in_the_cohort_chart_is_escaped():
    from tallies import charts

    svg = charts.cohort_chart(
        cohorts=[charts.Cohort("<b>", 3, [50.0, None])],
        series=["a&b", "c"],
        title="t",
        registered_label="r",
    )
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg


# The agent's own ------------------------------------------------------------------------


def test_the_agent_sees_their_recruits_retention_and_expected_commission(
    kendari, channel, no_auto_recompute
):
    agent = active_agent(kendari)
    today = kendari.local_today()
    now = datetime.datetime.now(UTC)
    long_ago = now - datetime.timedelta(days=400)
    active_ones = []
    for n in range(1, 4):
        registration = _registered(agent, n, long_ago)
        pay(channel, registration, months=12, at=now - datetime.timedelta(days=2))
        active_ones.append(registration)
    lapsed = _registered(agent, 4, long_ago)
    pay(channel, lapsed, months=1, at=long_ago + datetime.timedelta(hours=2))
    _registered(agent, 5, now - datetime.timedelta(days=1))  # awaiting payment
    retention_recompute()

    recruits = agent_client(agent).get("/api/v1/agent/me").json()["recruits"]
    total = sum(r.monthly_total for r in active_ones)
    assert recruits["active"] == 3
    assert recruits["next_period"] == f"{add_months(today, 1):%Y-%m}"
    assert recruits["expected_commission_next_month"] == share(total, rate_ppm(Decimal("15")))
    # The cohort of 400 days ago: four registered; the three paid only two days ago,
    # the fourth paid one month on the day: active at 3 months, not after.
    three = recruits["retention"][0]
    assert three == {"months": 3, "registered": 4, "active": 1, "pct": 25.0}
    assert [r["months"] for r in recruits["retention"]] == [3, 6, 12]
    assert recruits["retention_computed_at"]


def test_no_scheme_next_month_means_no_expected_commission(kendari):
    agent = active_agent(kendari)
    FeeScheme.objects.filter(effective_to__isnull=True).update(effective_to=kendari.local_today())
    recruits = agent_client(agent).get("/api/v1/agent/me").json()["recruits"]
    assert recruits["expected_commission_next_month"] is None
    assert recruits["active"] == 0
    assert recruits["retention"][2] == {"months": 12, "registered": 0, "active": 0, "pct": None}
    assert recruits["retention_computed_at"] is None


def test_the_expected_commission_rounds_once_like_a_month_of_commission(
    kendari, channel, no_auto_recompute
):
    """Rp36,800 a month at 7.4444% is Rp2,739.54 each, Rp2,740 rounded: three would be
    Rp8,220; the sum rounded once is Rp8,219, as a month's commission lines add up."""
    FeeScheme.objects.all().delete()
    FeeScheme.objects.create(
        name="Skema uji",
        commission_percent="7.4444",
        bonus_amount=0,
        bonus_min_activations=50,
        override_percent=0,
        effective_from=d(2020, 1, 1),
    )
    agent = active_agent(kendari)
    now = datetime.datetime.now(UTC)
    amounts = []
    for n in range(1, 4):
        registration = register(agent, n, captured=now - datetime.timedelta(days=3))
        pay(channel, registration, months=12, at=now - datetime.timedelta(days=2))
        amounts.append(registration.monthly_total)
    expected = agent_client(agent).get("/api/v1/agent/me").json()["recruits"]
    assert expected["expected_commission_next_month"] == share(sum(amounts), 74_444) == 8_219
