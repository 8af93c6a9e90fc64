from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet, Sum

from agents.selectors import scoped
from core.exceptions import NotFoundError
from fees.models import FeeLine, FeeStatement, RegistrationFlag

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from agents.models import Agent

PAYABLE = Q(lines__held=False)


def statements_with_totals(queryset: QuerySet[FeeStatement]) -> QuerySet[FeeStatement]:
    """Each statement's total: the sum of its lines that are not held."""
    return queryset.annotate(total_amount=Sum("lines__amount", filter=PAYABLE, default=0))


def statements_of_agent(*, agent: Agent) -> QuerySet[FeeStatement]:
    return statements_with_totals(FeeStatement.objects.filter(agent=agent)).order_by("-period")


def statement_of_agent(*, agent: Agent, period: str) -> FeeStatement:
    statement = statements_of_agent(agent=agent).filter(period=period).first()
    if statement is None:
        raise NotFoundError()
    return statement


def statement_lines(*, statement: FeeStatement) -> QuerySet[FeeLine]:
    return statement.lines.select_related("payment_line__payment").order_by("id")


def agent_month_fee(*, agent: Agent, period: str) -> dict[str, int]:
    """The fee so far in the agent's statement for the month (held lines excluded)."""
    total = (
        FeeLine.objects.filter(
            statement__agent=agent, statement__period=period, held=False
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return {"fee": int(total)}


def statements_visible_to(user: User | AnonymousUser) -> QuerySet[FeeStatement]:
    return scoped(FeeStatement.objects.all(), user, branch_path="branch")


def flags_visible_to(user: User | AnonymousUser) -> QuerySet[RegistrationFlag]:
    return scoped(RegistrationFlag.objects.all(), user, branch_path="branch")
