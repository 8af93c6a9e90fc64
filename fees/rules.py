"""Fee arithmetic. Pure: integer Rupiah, Decimal rates.

Rounding rule: an amount times a percentage is rounded once, half up (half away from
zero for negative amounts), to whole Rupiah. An agent's commission for a month is that
rule applied to the month's running total of contributions, line by line: each
payment's commission is round(total including it) - round(total before it), in the
order payments arrived. So every payment has its own integer line, and the lines of a
month add up to exactly round(month's contributions x rate): the 2018 example
(Rp38,902,000 at 7.5%) gives Rp2,917,650 however the payments are split.

In SQL the same rule runs on integers: rates are carried in parts per million, and
round_half_up(x x ppm / 10^6) = (x x ppm + 500,000) div 10^6 for x >= 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MILLION = 1_000_000
HALF = MILLION // 2


def rate_ppm(percent: Decimal) -> int:
    """7.5 (%) -> 75,000 parts per million. Rates are kept to three decimals."""
    ppm = percent * 10_000
    if ppm != ppm.to_integral_value():
        raise ValueError("A rate has at most four decimals of a percent.")
    return int(ppm)


def share(amount: int, ppm: int) -> int:
    """round_half_up(amount x ppm / 10^6), symmetric for negative amounts."""
    magnitude = (abs(amount) * ppm + HALF) // MILLION
    return magnitude if amount >= 0 else -magnitude


def percent_of(amount: int, percent: Decimal) -> int:
    exact = Decimal(amount) * percent / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def commission_lines(amounts: Iterable[int], ppm: int) -> list[int]:
    """One commission per payment, in arrival order, summing to share(total, ppm)."""
    lines, running = [], 0
    for amount in amounts:
        lines.append(share(running + amount, ppm) - share(running, ppm))
        running += amount
    return lines


@dataclass(frozen=True)
class Scheme:
    commission_percent: Decimal
    bonus_amount: int
    bonus_min_activations: int
    override_percent: Decimal


@dataclass(frozen=True)
class MonthFee:
    commission: int
    bonus: int

    @property
    def total(self) -> int:
        return self.commission + self.bonus


def month_fee(*, contributions: int, activations: int, scheme: Scheme) -> MonthFee:
    """An agent's fee for a month: the commission on the contributions received from
    their recruits, and the acquisition bonus when enough new participants activated."""
    commission = share(contributions, rate_ppm(scheme.commission_percent))
    bonus = scheme.bonus_amount if activations >= scheme.bonus_min_activations else 0
    return MonthFee(commission=commission, bonus=bonus)


def override(amount: int, scheme: Scheme) -> int:
    """The Kantor Perisai's share of one of its agents' fee lines."""
    return share(amount, rate_ppm(scheme.override_percent))
