"""Reads for registrations and the reference tables."""

from __future__ import annotations

import datetime
import functools
import operator
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from agents.models import BRANCH_TIME_ZONES
from agents.selectors import scoped
from core.dates import period_bounds
from core.exceptions import NotFoundError
from core.models import Province, Regency
from enrollments import coverage, pricing
from enrollments.models import (
    ContributionRelief,
    FollowUpContact,
    IncomeLevel,
    NumberReservation,
    Occupation,
    Participant,
    PaymentLine,
    ProgramRate,
    Registration,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from agents.models import Agent


@dataclass(frozen=True)
class ReferenceSnapshot:
    """The reference data in force on one day."""

    on: datetime.date
    income_levels: tuple[int, ...]
    rates: dict[str, pricing.Rate]
    reliefs: tuple[pricing.Relief, ...]
    occupations: dict[str, Occupation]


def _covers(version: Any, day: datetime.date) -> bool:
    return version.effective_from <= day and (
        version.effective_to is None or day <= version.effective_to
    )


class ReferenceBook:
    """Every reference version in force at some point of a date range, loaded in one
    query per table, then sliced per day in memory: a batch of registrations captured
    on different days costs four queries, not four per item."""

    def __init__(self, first: datetime.date, last: datetime.date) -> None:
        def overlapping(model: Any) -> list[Any]:
            return list(
                model.objects.filter(
                    Q(effective_to__isnull=True) | Q(effective_to__gte=first),
                    effective_from__lte=last,
                )
            )

        self._levels: list[IncomeLevel] = overlapping(IncomeLevel)
        self._rates: list[ProgramRate] = overlapping(ProgramRate)
        self._reliefs: list[ContributionRelief] = overlapping(ContributionRelief)
        self._occupations: list[Occupation] = overlapping(Occupation)
        self._snapshots: dict[datetime.date, ReferenceSnapshot] = {}

    def on(self, day: datetime.date) -> ReferenceSnapshot:
        if day not in self._snapshots:
            rates = {}
            # The latest version wins should two ever overlap (the admin refuses it).
            for rate in sorted(self._rates, key=lambda r: r.effective_from):
                if _covers(rate, day):
                    rates[rate.program] = pricing.Rate(
                        program=rate.program,
                        percent_of_income=rate.percent_of_income,
                        flat_amount=rate.flat_amount,
                    )
            self._snapshots[day] = ReferenceSnapshot(
                on=day,
                income_levels=tuple(
                    sorted({level.amount for level in self._levels if _covers(level, day)})
                ),
                rates=rates,
                reliefs=tuple(
                    pricing.Relief(
                        name=relief.name,
                        programs=relief.programs,
                        pay_percent=relief.pay_percent,
                        excludes_budget_funded=relief.excludes_budget_funded,
                    )
                    for relief in self._reliefs
                    if _covers(relief, day)
                ),
                occupations={
                    occupation.code: occupation
                    for occupation in sorted(self._occupations, key=lambda o: o.effective_from)
                    if _covers(occupation, day)
                },
            )
        return self._snapshots[day]


def reference_snapshot(*, on: datetime.date) -> ReferenceSnapshot:
    return ReferenceBook(on, on).on(on)


def provinces_and_regencies() -> tuple[list[Province], list[Regency]]:
    return list(Province.objects.order_by("code")), list(Regency.objects.order_by("code"))


def registrations_of_agent(
    *, agent: Agent, status: str | None = None, updated_since: datetime.datetime | None = None
) -> QuerySet[Registration]:
    registrations = Registration.objects.filter(agent=agent).select_related(
        "participant", "participant__occupation", "participant__branch"
    )
    if status:
        registrations = registrations.filter(participant__status=status)
    if updated_since:
        # A payment changes the participant, not the registration: either counts.
        registrations = registrations.filter(
            Q(updated_at__gte=updated_since) | Q(participant__updated_at__gte=updated_since)
        )
    return registrations


def registration_of_agent(*, agent: Agent, registration_id: int) -> Registration:
    """Someone else's registration is not found, never forbidden."""
    registration = (
        Registration.objects.filter(agent=agent, pk=registration_id)
        .select_related("participant", "participant__occupation", "participant__branch")
        .first()
    )
    if registration is None:
        raise NotFoundError()
    return registration


def participants_visible_to(user: User | AnonymousUser) -> QuerySet[Participant]:
    return scoped(Participant.objects.all(), user, branch_path="branch")


def registrations_visible_to(user: User | AnonymousUser) -> QuerySet[Registration]:
    return scoped(Registration.objects.all(), user, branch_path="branch")


def agent_worked(start: datetime.datetime, end: datetime.datetime) -> Q:
    """A filter on agents (in a query over ``Agent``): registered a worker, or received a
    contribution (not reversed) from a recruit, in [start, end). The one definition of
    an agent's activity: idle deactivation and the tallies' productive agents use it."""
    registered = Registration.objects.filter(
        agent=OuterRef("pk"), created_at__gte=start, created_at__lt=end
    )
    contributed = PaymentLine.objects.filter(
        agent=OuterRef("pk"), paid_at__gte=start, paid_at__lt=end, reversed_at__isnull=True
    )
    return Q(Exists(registered)) | Q(Exists(contributed))


def agent_month_figures(*, agent: Agent, period: str) -> dict[str, int]:
    """An agent's month in their branch's calendar: workers registered, workers whose
    first payment came in, and contributions received from their recruits (reversed
    payments excluded). Three aggregate queries."""
    start, end = period_bounds(period, agent.branch.zone)
    registrations = Registration.objects.filter(
        agent=agent, created_at__gte=start, created_at__lt=end
    ).count()
    activations = Participant.objects.filter(
        registration__agent=agent, activated_at__gte=start, activated_at__lt=end
    ).count()
    contributions = (
        PaymentLine.objects.filter(
            agent=agent, paid_at__gte=start, paid_at__lt=end, reversed_at__isnull=True
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return {
        "registrations": registrations,
        "activations": activations,
        "contributions": int(contributions),
    }


def payment_lines_visible_to(user: User | AnonymousUser) -> QuerySet[PaymentLine]:
    return scoped(PaymentLine.objects.all(), user, branch_path="branch")


# Follow-ups ------------------------------------------------------------------------------


def _bucket_condition(bucket: str) -> Q:
    """``bucket`` on each branch's own date: one condition per date the time zones are
    on. Every branch is in one of BRANCH_TIME_ZONES (branch_time_zone_known), so for
    most of the day, when they all share a date, no zone is named and no join needed."""
    if bucket == coverage.AWAITING_PAYMENT_BUCKET:
        return Q(participant__paid_through__isnull=True)
    now = timezone.now()
    zones_on: dict[datetime.date, list[str]] = {}
    for zone in BRANCH_TIME_ZONES:
        zones_on.setdefault(now.astimezone(zoneinfo.ZoneInfo(zone)).date(), []).append(zone)
    conditions = []
    for today, zones in zones_on.items():
        start, end = coverage.bucket_paid_through_range(bucket, today)
        on_date = Q(participant__branch__time_zone__in=zones) if len(zones_on) > 1 else Q()
        if start is not None:
            on_date &= Q(participant__paid_through__gte=start)
        if end is not None:
            on_date &= Q(participant__paid_through__lt=end)
        conditions.append(on_date)
    return functools.reduce(operator.or_, conditions)


# What the agent's work list shows of each recruit, read as plain rows: the page is
# rendered from these without building a model instance per row.
FOLLOW_UP_ROW_FIELDS = (
    "id",
    "monthly_total",
    "payment_code",
    "participant__participant_number",
    "participant__full_name",
    "participant__nik_last4",
    "participant__phone",
    "participant__status",
    "participant__paid_through",
    "participant__branch__time_zone",
)


def follow_ups_of_agent(*, agent: Agent, bucket: str) -> QuerySet[Registration, dict[str, Any]]:
    """The agent's own recruits in ``bucket``, most urgent first: the longest waiting to
    pay, or the soonest to lapse (earliest paid-through). Rows of
    ``FOLLOW_UP_ROW_FIELDS``, each with ``sort_key`` (the cursor's key) and
    ``last_contact_id``."""
    sort_key = (
        F("captured_at")
        if bucket == coverage.AWAITING_PAYMENT_BUCKET
        else F("participant__paid_through")
    )
    return (
        Registration.objects.filter(agent=agent)
        .filter(_bucket_condition(bucket))
        .annotate(sort_key=sort_key, last_contact_id=_last_contact_id())
        .values(*FOLLOW_UP_ROW_FIELDS, "sort_key", "last_contact_id")
    )


def _last_contact_id() -> Subquery:
    latest = FollowUpContact.objects.filter(registration=OuterRef("pk")).order_by(
        "-contacted_at", "-id"
    )
    return Subquery(latest.values("pk")[:1])


def follow_up_queue(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """The branch's queue: of ``registrations`` (already scoped to the staff member),
    those due or in arrears on their branch's date, the soonest to lapse first, each
    with ``last_contact_id``."""
    latest = FollowUpContact.objects.filter(registration=OuterRef("pk")).order_by(
        "-contacted_at", "-id"
    )
    return (
        registrations.filter(_bucket_condition(coverage.DUE) | _bucket_condition(coverage.ARREARS))
        .annotate(last_contact_id=Subquery(latest.values("pk")[:1]))
        .order_by("participant__paid_through", "pk")
    )


def follow_up_counts(*, agent: Agent) -> dict[str, int]:
    """How many of the agent's recruits are in each bucket, in one query."""
    counts = Registration.objects.filter(agent=agent).aggregate(
        **{
            bucket: Count("pk", filter=_bucket_condition(bucket))
            for bucket in coverage.FOLLOW_UP_BUCKETS
        }
    )
    return {bucket: counts[bucket] or 0 for bucket in coverage.FOLLOW_UP_BUCKETS}


def contacts_by_id(ids: list[int]) -> dict[int, FollowUpContact]:
    return FollowUpContact.objects.in_bulk([i for i in ids if i is not None])


def contact_rows_by_id(ids: list[int | None]) -> dict[int, Mapping[str, Any]]:
    """The contacts of ``ids`` as plain rows of what the work list shows of them."""
    rows = FollowUpContact.objects.filter(pk__in=[i for i in ids if i is not None]).values(
        "id", "contacted_at", "method", "outcome", "promised_on"
    )
    return {row["id"]: row for row in rows}


def reservations_unused_of_agent(*, agent: Agent) -> QuerySet[NumberReservation]:
    """The agent's reserved numbers still to use (not used, not expired): what a
    reinstalled app recovers."""
    return NumberReservation.objects.filter(agent=agent).unused(now=timezone.now())
