# The SQL below is assembled from constants, the fragments of fees/rules.py and "%s"
# placeholders only; every value is a bound parameter.
# ruff: noqa: S608
"""Recomputing a month's fees for one branch, set-based: the code that pays agents.

Each kind of line is one ``INSERT ... SELECT`` over the month's payment lines, reversals,
activations and the lines just written, and every line carries a ``source_key`` naming
what earned it (``commission:<payment line>``, ``bonus:<agent>:<month>``,
``reversal:<line>``, ``override:<line>``). With the unique index on it and
``ON CONFLICT DO NOTHING``, running the recompute again, concurrently, or after a worker
died half-way inserts only what is missing: the ledger ends with exactly the lines of
one clean run. A PostgreSQL advisory lock per branch and month keeps two runs from
working the same scope at the same time.

The rounding rule is not written here: commissions and overrides interpolate
``rules.commission_sql`` and ``rules.share_sql``, and bind ``rules.rate_ppm`` of the
scheme's rates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from agents.models import Agent, AgentStatus, Branch, KantorPerisai
from core.dates import first_day, period_bounds
from core.db import advisory_xact_lock
from fees import rules
from fees.errors import NoSchemeError
from fees.models import FeeScheme, FlagStatus, LineKind, PendingRecompute
from fees.services.flags import registrations_flag_by_rules
from fees.services.statements import statement_targets

logger = logging.getLogger(__name__)

HELD_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.CONFIRMED)


@dataclass(frozen=True)
class RecomputeResult:
    branch: str
    period: str
    inserted: int


def scheme_for(period: str) -> FeeScheme:
    scheme = FeeScheme.objects.in_force(first_day(period)).order_by("-effective_from").first()
    if scheme is None:
        raise NoSchemeError()
    return scheme


def _targets_cte(targets: dict[int, int], name: str) -> tuple[str, list[Any]]:
    values = ", ".join(["(%s, %s)"] * len(targets))
    params = [number for pair in targets.items() for number in pair]
    return f"{name}(owner_id, statement_id) AS (VALUES {values})", params


def _execute(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


_HELD = """EXISTS (SELECT 1 FROM fees_registrationflag f
              WHERE f.registration_id = {registration} AND f.status IN (%s, %s))"""

_LINE_COLUMNS = (
    "source_key, statement_id, kind, amount, earned_period, branch_id, agent_id, "
    "payment_line_id, registration_id, scheme_id, held, override_of_id, reverses_id, "
    "releases_id, created_at"
)


def _agent_branches(agent_ids: set[int]) -> dict[int, int]:
    return dict(Agent.objects.filter(pk__in=agent_ids).values_list("pk", "branch_id"))


def _insert_commissions(
    branch: Branch, period: str, scheme: FeeScheme, start: Any, end: Any, now: Any
) -> int:
    """A commission line for every payment line received this month, by the running
    total of the agent's month in arrival order (``rules.commission_sql``). A payment
    reversed later keeps its line; its reversal is a line of its own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pl.agent_id FROM enrollments_paymentline pl "
            "WHERE pl.branch_id = %s AND pl.paid_at >= %s AND pl.paid_at < %s",
            [branch.pk, start, end],
        )
        agent_ids = {row[0] for row in cursor.fetchall()}
    if not agent_ids:
        return 0
    targets = statement_targets(
        owner_field="agent", owners=_agent_branches(agent_ids), period=period
    )
    cte, params = _targets_cte(targets, "targets")
    ppm = rules.rate_ppm(scheme.commission_percent)
    sql = f"""
        WITH {cte}
        INSERT INTO fees_feeline ({_LINE_COLUMNS})
        SELECT 'commission:' || c.id, t.statement_id, %s,
               {rules.commission_sql(running="c.running", amount="c.amount")},
               %s, %s, c.agent_id, c.id, c.registration_id, %s, c.held, NULL, NULL, NULL, %s
        FROM (
            SELECT pl.id, pl.agent_id, pl.registration_id, pl.amount,
                   CAST(SUM(pl.amount) OVER w AS BIGINT) AS running,
                   {_HELD.format(registration="pl.registration_id")} AS held
            FROM enrollments_paymentline pl
            WHERE pl.branch_id = %s AND pl.paid_at >= %s AND pl.paid_at < %s
            WINDOW w AS (PARTITION BY pl.agent_id ORDER BY pl.id)
        ) c
        JOIN targets t ON t.owner_id = c.agent_id
        WHERE TRUE
        ON CONFLICT (source_key) DO NOTHING
    """
    return _execute(
        sql,
        [
            *params,
            LineKind.COMMISSION,
            ppm,
            ppm,
            period,
            branch.pk,
            scheme.pk,
            now,
            *HELD_FLAG_STATUSES,
            branch.pk,
            start,
            end,
        ],
    )


def _insert_reversals(branch: Branch, period: str, start: Any, end: Any, now: Any) -> int:
    """A negative line for every commission whose payment was reversed this month."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pl.agent_id FROM enrollments_paymentline pl "
            "WHERE pl.reversed_at >= %s AND pl.reversed_at < %s AND pl.branch_id = %s",
            [start, end, branch.pk],
        )
        agent_ids = {row[0] for row in cursor.fetchall()}
    if not agent_ids:
        return 0
    targets = statement_targets(
        owner_field="agent", owners=_agent_branches(agent_ids), period=period
    )
    cte, params = _targets_cte(targets, "targets")
    sql = f"""
        WITH {cte}
        INSERT INTO fees_feeline ({_LINE_COLUMNS})
        SELECT 'reversal:' || l.id, t.statement_id, %s, -l.amount, %s, l.branch_id, l.agent_id,
               l.payment_line_id, l.registration_id, l.scheme_id, l.held, NULL, l.id, NULL, %s
        FROM enrollments_paymentline pl
        JOIN fees_feeline l ON l.payment_line_id = pl.id AND l.kind = %s
        JOIN targets t ON t.owner_id = l.agent_id
        WHERE pl.reversed_at >= %s AND pl.reversed_at < %s AND pl.branch_id = %s
        ON CONFLICT (source_key) DO NOTHING
    """
    return _execute(
        sql, [*params, LineKind.REVERSAL, period, now, LineKind.COMMISSION, start, end, branch.pk]
    )


_ACTIVATIONS = """
    SELECT r.agent_id, COUNT(*) AS activations
    FROM enrollments_participant p
    JOIN enrollments_registration r ON r.participant_id = p.id
    WHERE p.branch_id = %s AND p.activated_at >= %s AND p.activated_at < %s
      AND NOT {held}
    GROUP BY r.agent_id
""".format(held=_HELD.format(registration="r.id"))


def _insert_bonuses(
    branch: Branch, period: str, scheme: FeeScheme, start: Any, end: Any, now: Any
) -> int:
    """The acquisition bonus for agents with enough new activated participants (from
    registrations not under suspicion); a reversal of a bonus no longer earned."""
    activation_params = [branch.pk, start, end, *HELD_FLAG_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT agent_id FROM ({_ACTIVATIONS}) a WHERE a.activations >= %s",
            [*activation_params, scheme.bonus_min_activations],
        )
        earning = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT agent_id FROM fees_feeline "
            "WHERE kind = %s AND branch_id = %s AND earned_period = %s",
            [LineKind.ACQUISITION_BONUS, branch.pk, period],
        )
        with_bonus = {row[0] for row in cursor.fetchall()}
    inserted = 0
    if earning and scheme.bonus_amount:
        targets = statement_targets(
            owner_field="agent", owners=_agent_branches(earning), period=period
        )
        cte, params = _targets_cte(targets, "targets")
        inserted += _execute(
            f"""
            WITH {cte}
            INSERT INTO fees_feeline ({_LINE_COLUMNS})
            SELECT 'bonus:' || t.owner_id || ':' || %s, t.statement_id, %s, %s, %s, %s, t.owner_id,
                   NULL, NULL, %s, FALSE, NULL, NULL, NULL, %s
            FROM targets t
            WHERE TRUE
            ON CONFLICT (source_key) DO NOTHING
            """,
            [
                *params,
                period,
                LineKind.ACQUISITION_BONUS,
                scheme.bonus_amount,
                period,
                branch.pk,
                scheme.pk,
                now,
            ],
        )
    lost = with_bonus - earning
    if lost:
        targets = statement_targets(
            owner_field="agent", owners=_agent_branches(lost), period=period
        )
        cte, params = _targets_cte(targets, "targets")
        inserted += _execute(
            f"""
            WITH {cte}
            INSERT INTO fees_feeline ({_LINE_COLUMNS})
            SELECT 'reversal:' || l.id, t.statement_id, %s, -l.amount, %s, l.branch_id, l.agent_id,
                   NULL, NULL, l.scheme_id, l.held, NULL, l.id, NULL, %s
            FROM fees_feeline l
            JOIN targets t ON t.owner_id = l.agent_id
            WHERE l.kind = %s AND l.branch_id = %s AND l.earned_period = %s
            ON CONFLICT (source_key) DO NOTHING
            """,
            [
                *params,
                LineKind.REVERSAL,
                period,
                now,
                LineKind.ACQUISITION_BONUS,
                branch.pk,
                period,
            ],
        )
    return inserted


def _insert_overrides(branch: Branch, period: str, scheme: FeeScheme, now: Any) -> int:
    """The Kantor Perisai's share (``rules.share_sql``) of each fee line its active
    agents earned this month: commissions, bonuses and reversals of either, so a negative
    line has a negative override, rounded half away from zero."""
    offices = dict(
        KantorPerisai.objects.filter(agents__branch=branch, agents__status=AgentStatus.ACTIVE)
        .values_list("pk", "branch_id")
        .distinct()
    )
    if not offices:
        return 0
    targets = statement_targets(owner_field="kantor_perisai", owners=offices, period=period)
    cte, params = _targets_cte(targets, "targets")
    ppm = rules.rate_ppm(scheme.override_percent)
    return _execute(
        f"""
        WITH {cte}
        INSERT INTO fees_feeline ({_LINE_COLUMNS})
        SELECT 'override:' || l.id, t.statement_id, %s, {rules.share_sql("l.amount")},
               %s, l.branch_id, l.agent_id, l.payment_line_id, l.registration_id, %s, l.held,
               l.id, NULL, NULL, %s
        FROM fees_feeline l
        JOIN agents_agent a ON a.id = l.agent_id
        JOIN targets t ON t.owner_id = a.kantor_perisai_id
        WHERE l.branch_id = %s AND l.earned_period = %s AND l.kind IN (%s, %s, %s)
          AND a.status = %s
        ON CONFLICT (source_key) DO NOTHING
        """,
        [
            *params,
            LineKind.OVERRIDE,
            ppm,
            period,
            scheme.pk,
            now,
            branch.pk,
            period,
            LineKind.COMMISSION,
            LineKind.ACQUISITION_BONUS,
            LineKind.REVERSAL,
            AgentStatus.ACTIVE,
        ],
    )


def fees_recompute_branch(*, branch_id: int, period: str) -> RecomputeResult:
    """Recomputes the branch-month and, in the same transaction, clears the requests for
    it that were committed before it started (``PendingRecompute``): a request that
    arrives while it runs stays for the next run, and a run that dies clears nothing."""
    branch = Branch.objects.get(pk=branch_id)
    try:
        scheme = scheme_for(period)
    except NoSchemeError:
        # No scheme, nothing to earn: the requests for this month are answered.
        PendingRecompute.objects.filter(branch_id=branch_id, period=period).delete()
        raise
    # Raw SQL gets datetimes as each backend stores them (UTC text on SQLite).
    adapt = connection.ops.adapt_datetimefield_value
    aware_start, aware_end = period_bounds(period, branch.zone)
    start, end = adapt(aware_start), adapt(aware_end)
    now = adapt(timezone.now())
    with transaction.atomic():
        advisory_xact_lock(f"fees:{branch.pk}:{period}")
        # Read before the ledger statements: every request seen here was committed with
        # its payment, which those statements therefore see too.
        answered = list(
            PendingRecompute.objects.filter(branch=branch, period=period).values_list(
                "pk", flat=True
            )
        )
        registrations_flag_by_rules(branch=branch, start=aware_start, end=aware_end)
        inserted = _insert_commissions(branch, period, scheme, start, end, now)
        inserted += _insert_reversals(branch, period, start, end, now)
        inserted += _insert_bonuses(branch, period, scheme, start, end, now)
        inserted += _insert_overrides(branch, period, scheme, now)
        PendingRecompute.objects.filter(pk__in=answered).delete()
    logger.info(
        "fees recomputed", extra={"branch": branch.code, "period": period, "inserted": inserted}
    )
    return RecomputeResult(branch.code, period, inserted)


def fees_recompute(*, period: str) -> list[RecomputeResult]:
    """Every branch, one after another (the Celery task fans them out instead)."""
    return [
        fees_recompute_branch(branch_id=branch_id, period=period)
        for branch_id in Branch.objects.order_by("pk").values_list("pk", flat=True)
    ]
