"""Fee arithmetic: one rounding rule, written here in SQL for the recompute that pays
agents and, beside it, in Python as the tests' oracle. No ORM.

The rule: an amount times a rate is rounded once, half away from zero, to whole Rupiah.
Rates are ``Decimal`` percentages carried as integer parts per million (``rate_ppm``), so
both versions are integer arithmetic and agree to the Rupiah. A commission is the rule
applied to the agent's running total of the month's contributions, payment by payment
in arrival order: round(total including it) - round(total before it). So every payment
has its own integer line, and the lines of a month add up to exactly round(month's
contributions x rate): the 2018 example (Rp38,902,000 at 7.5%) gives Rp2,917,650 however
the payments are split. A Kantor Perisai's override is the rule applied to each fee line
of its agents, negative lines (reversals) included.

What runs: ``fees/services/recompute.py`` interpolates ``share_sql`` and
``commission_sql`` into its ``INSERT ... SELECT`` statements and binds ``rate_ppm`` of the
scheme's rates. ``share`` and ``commission_lines`` are the same rule in Python; production
code does not call them. They are the oracle the tests compare the SQL against:
``tests/fees/test_rules.py`` fragment by fragment, ``tests/fees/test_recompute_property.py``
the whole ledger of generated months. A change to the rule is made to both, here.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

MILLION = 1_000_000
HALF = MILLION // 2


def rate_ppm(percent: Decimal) -> int:
    """7.5 (%) -> 75,000 parts per million. Rates are kept to four decimals."""
    ppm = percent * 10_000
    if ppm != ppm.to_integral_value():
        raise ValueError("A rate has at most four decimals of a percent.")
    return int(ppm)


def share_sql(amount: str) -> str:
    """round_half_away_from_zero(amount x ppm / 10^6) as an SQL expression over the
    integer (BIGINT) expression ``amount``, with one ``%s`` placeholder: the rate in ppm.
    SQL's integer division truncates toward zero, so adding half the divisor with the
    amount's sign rounds half away from zero, as ``share`` does. ``amount`` appears
    twice: pass a column or an expression without side effects."""
    return f"(({amount}) * %s + CASE WHEN ({amount}) < 0 THEN -{HALF} ELSE {HALF} END) / {MILLION}"


def commission_sql(running: str, amount: str) -> str:
    """A payment's commission as an SQL expression: the share of the running total that
    includes it minus the share of the total before it. Two ``%s`` placeholders, both
    the commission rate in ppm."""
    return f"{share_sql(running)} - {share_sql(f'{running} - {amount}')}"


# The oracle: the rule in Python. Production code runs the SQL above.


def share(amount: int, ppm: int) -> int:
    """round_half_away_from_zero(amount x ppm / 10^6): what ``share_sql`` computes."""
    magnitude = (abs(amount) * ppm + HALF) // MILLION
    return magnitude if amount >= 0 else -magnitude


def commission_lines(amounts: Iterable[int], ppm: int) -> list[int]:
    """One commission per payment, in arrival order, summing to share(total, ppm)."""
    lines, running = [], 0
    for amount in amounts:
        lines.append(share(running + amount, ppm) - share(running, ppm))
        running += amount
    return lines
