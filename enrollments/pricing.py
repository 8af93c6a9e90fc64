"""BPU contribution arithmetic. Pure: plain values in, integer Rupiah out.

Monthly contribution per program from the declared income and the rate versions in
force: a percentage of the income (JKK 1%, JHT 2%) or a flat amount (JKM Rp6,800). A
relief in force scales the programs it covers to ``pay_percent`` (PP 50/2025: JKK and
JKM at 50%); where several reliefs cover one program the most favourable applies, they
do not multiply. Budget-funded (APBN/APBD) participants are excluded from reliefs that
say so.

Rounding rule: each program's monthly amount is rounded once, half up, to whole Rupiah;
the monthly total is the sum of the rounded amounts, and the amount due is that total
times the months paid. Money never passes through a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

JKK, JKM, JHT = "JKK", "JKM", "JHT"
MANDATORY = (JKK, JKM)
PAYMENT_PERIODS = (1, 3, 6, 12)
HUNDRED = Decimal(100)


class PricingError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Rate:
    program: str
    percent_of_income: Decimal | None = None
    flat_amount: int | None = None


@dataclass(frozen=True)
class Relief:
    name: str
    programs: frozenset[str]
    pay_percent: Decimal
    excludes_budget_funded: bool = True


@dataclass(frozen=True)
class Contribution:
    jkk: int
    jkm: int
    jht: int
    period_months: int
    reliefs: tuple[str, ...] = field(default=())

    @property
    def monthly_total(self) -> int:
        return self.jkk + self.jkm + self.jht

    @property
    def amount_due(self) -> int:
        return self.monthly_total * self.period_months


def rupiah(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _base_amount(rate: Rate, declared_income: int) -> Decimal:
    if rate.percent_of_income is not None:
        return Decimal(declared_income) * rate.percent_of_income / HUNDRED
    if rate.flat_amount is not None:
        return Decimal(rate.flat_amount)
    raise PricingError("rate_incomplete", f"The {rate.program} rate has no amount.")


def price_contribution(
    *,
    declared_income: int,
    include_jht: bool,
    period_months: int,
    rates: Mapping[str, Rate],
    reliefs: Iterable[Relief] = (),
    budget_funded: bool = False,
) -> Contribution:
    if period_months not in PAYMENT_PERIODS:
        raise PricingError("payment_period", "Pay for 1, 3, 6 or 12 months.")
    if declared_income <= 0:
        raise PricingError("declared_income", "The declared income must be positive.")
    programs = [*MANDATORY, *([JHT] if include_jht else [])]
    missing = [program for program in programs if program not in rates]
    if missing:
        raise PricingError("rate_missing", f"No rate in force for {', '.join(missing)}.")

    applicable = [
        relief for relief in reliefs if not (budget_funded and relief.excludes_budget_funded)
    ]
    amounts = {JKK: 0, JKM: 0, JHT: 0}
    used: set[str] = set()
    for program in programs:
        amount = _base_amount(rates[program], declared_income)
        covering = [relief for relief in applicable if program in relief.programs]
        if covering:
            best = min(covering, key=lambda relief: relief.pay_percent)
            amount = amount * best.pay_percent / HUNDRED
            used.add(best.name)
        amounts[program] = rupiah(amount)
    return Contribution(
        jkk=amounts[JKK],
        jkm=amounts[JKM],
        jht=amounts[JHT],
        period_months=period_months,
        reliefs=tuple(sorted(used)),
    )
