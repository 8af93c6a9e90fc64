"""Demo participants: a few hundred registrations across the demo agents, captured over
the last ten months, and their payments, through the same services the app and the
channels use: some participants active, some lapsed to non-active, some still awaiting
their first payment, and ten funded by a sponsor. Deterministic (a seeded
generator, client_uuids derived from the item number), so a second run finds every
item a duplicate and writes nothing.

The income levels above Rp1,000,000 and the 2020 relief are illustrative: the official
BPU table (PP 44/2015 Lampiran II) is entered by head office in the admin."""

import datetime
import hashlib
import random
import uuid
from decimal import Decimal

from django.db.models import F, QuerySet
from django.utils import timezone

from agents.demo import AGENTS as DEMO_AGENTS
from agents.models import Agent, AgentStatus
from core.crypto import keyed_digest
from core.dates import add_months, period_of
from core.demo import DemoContext, demo_ensure
from enrollments import services
from enrollments.models import (
    ContributionRelief,
    IncomeLevel,
    Occupation,
    Participant,
    Registration,
    Sponsor,
    Sponsorship,
)
from partners.models import Partner

NAMESPACE = uuid.UUID("6f1d3c2e-5b7a-4e0f-9a61-2c8d4b7e1f30")
PER_AGENT = {"KDI": 40, "MDO": 25, "AMB": 20, "PLK": 20, "KPG": 20}
LEVELS = (1_000_000, 1_500_000, 2_000_000, 2_500_000, 3_000_000)
SINCE = datetime.date(2015, 7, 1)
FIRST_NAMES = {
    "M": ["La Ode", "Muhammad", "Andi", "Yohanis", "Made", "Agus", "Hasan", "Frans", "Budi"],
    "F": ["Wa Ode", "Siti", "Nur", "Maria", "Ni Luh", "Dewi", "Rahma", "Yuliana", "Sri"],
}
LAST_NAMES = [
    "Hamzah",
    "Saputra",
    "Latuheru",
    "Rumengan",
    "Ndun",
    "Lestari",
    "Rahman",
    "Tumbelaka",
    "Baso",
    "Wulandari",
    "Kadir",
    "Pattinama",
]


def _seed_reference() -> None:
    for amount in LEVELS:
        demo_ensure(model=IncomeLevel, lookup={"amount": amount}, data={"effective_from": SINCE})
    demo_ensure(
        model=ContributionRelief,
        lookup={"name": "PP 49/2020 (relaksasi iuran masa pandemi)"},
        data={
            "applies_to_jkk": True,
            "applies_to_jkm": True,
            "pay_percent": Decimal("1.00"),
            "excludes_budget_funded": True,
            "effective_from": datetime.date(2020, 8, 1),
            "effective_to": datetime.date(2021, 1, 31),
        },
    )


def _item(
    rng: random.Random, agent: Agent, number: int, occupations: list[str]
) -> services.RegistrationInput:
    sex = rng.choice("MF")
    birth = datetime.date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
    day = birth.day + (40 if sex == "F" else 0)
    district = 11 + number % 40
    nik = f"{agent.branch.regency_id}{district:02d}{day:02d}{birth:%m%y}{number + 1:04d}"
    captured = timezone.now() - datetime.timedelta(
        days=rng.randint(0, 300), minutes=rng.randint(0, 600)
    )
    return services.RegistrationInput(
        client_uuid=uuid.uuid5(NAMESPACE, f"demo-registration-{number}"),
        nik=nik,
        full_name=f"{rng.choice(FIRST_NAMES[sex])} {rng.choice(LAST_NAMES)}",
        birth_date=birth,
        sex=sex,
        phone=f"0813{number:08d}",
        regency_code=agent.branch.regency_id,
        address=f"Jl. Demo No. {number % 200 + 1}",
        occupation=rng.choice(occupations),
        declared_income=rng.choice(LEVELS[:3]),
        programs=frozenset({"JKK", "JKM"} | ({"JHT"} if rng.random() < 0.4 else set())),
        payment_period_months=rng.choice((1, 1, 3, 6, 12)),
        consent=services.Consent(given=True, method="signature", at=captured),
        captured_at=captured,
        location=services.Location(
            lat=Decimal("-3.998500"), lng=Decimal("122.512900"), accuracy_m=15
        ),
    )


def seed(context: DemoContext) -> None:
    _seed_reference()
    rng = random.Random(2026)  # noqa: S311 (demo data, not secrets)
    occupations = sorted(Occupation.objects.values_list("code", flat=True))
    number = 0
    created = 0
    # The demo's own agents that were seeded active, numbered the same on every run
    # (an agent the user has since deactivated keeps its numbers and gets no more);
    # agents the user added get no demo participants.
    agents = (
        Agent.objects.filter(
            nik_digest__in=[keyed_digest(row[2]) for row in DEMO_AGENTS if row[5] == "active"]
        )
        .select_related("branch")
        .order_by("code")
    )
    for agent in agents:
        count = PER_AGENT.get(agent.branch.code, 10)
        items = [_item(rng, agent, number + i, occupations) for i in range(count)]
        number += count
        if agent.status != AgentStatus.ACTIVE:
            continue
        results = services.registrations_register(
            agent=agent, items=items, channel=Registration.Channel.SYNC
        )
        created += sum(1 for result in results if result.outcome == services.Outcome.CREATED)
    # The demo's history: each registration reached the server an hour after it was
    # captured in the field, not all at once today.
    Registration.objects.filter(
        client_uuid__in=[uuid.uuid5(NAMESPACE, f"demo-registration-{n}") for n in range(number)]
    ).exclude(created_at=F("captured_at") + datetime.timedelta(hours=1)).update(
        created_at=F("captured_at") + datetime.timedelta(hours=1)
    )
    context.note(f"{number} registrations ({created} new)")
    _seed_payments(context)
    _seed_contacts(context)


def _pay(
    context: DemoContext,
    channel: Partner,
    ref: str,
    registration: Registration,
    months: int,
    paid_at: datetime.datetime,
) -> bool:
    answer = services.payment_receive(
        channel=channel,
        channel_ref=ref,
        lines=[
            services.PaymentLineInput(
                registration.payment_code, registration.monthly_total * months, months
            )
        ],
        paid_at=paid_at,
        request_hash=hashlib.sha256(
            f"{ref}:{registration.payment_code}:{months}".encode()
        ).hexdigest(),
    )
    if answer.created:
        context.periods_paid.add(period_of(paid_at.date()))
    return answer.created


def demo_registrations() -> QuerySet[Registration]:
    """The demo's own registrations, by their client_uuids."""
    return Registration.objects.filter(
        client_uuid__in=[uuid.uuid5(NAMESPACE, f"demo-registration-{n}") for n in range(1000)]
    )


def _seed_payments(context: DemoContext) -> None:
    channel = Partner.objects.get(code="BANK-DEMO")
    now = timezone.now()
    made = 0
    demo = demo_registrations()
    registrations = demo.select_related("participant__branch").order_by("id")
    sponsored: list[Registration] = []
    for registration in registrations:
        rng = random.Random(registration.client_uuid.int)  # noqa: S311 (demo data)
        plan = rng.random()
        if plan < 0.2:
            if registration.branch.code == "KDI" and len(sponsored) < 10:
                sponsored.append(registration)
            continue  # awaiting the first payment
        paid_at = min(registration.captured_at + datetime.timedelta(days=rng.randint(0, 5)), now)
        if plan < 0.35:
            made += _pay(
                context,
                channel,
                f"DEMO-{registration.client_uuid.hex[:12]}-1",
                registration,
                1,
                paid_at,
            )
            continue  # paid once, then stopped: lapses after three months
        months, round_ = registration.payment_period_months, 1
        while paid_at <= now:
            made += _pay(
                context,
                channel,
                f"DEMO-{registration.client_uuid.hex[:12]}-{round_}",
                registration,
                months,
                paid_at,
            )
            paid_at = datetime.datetime.combine(
                add_months(paid_at.date(), months), paid_at.timetz()
            ) - datetime.timedelta(days=rng.randint(0, 10))
            round_ += 1

    sponsor = demo_ensure(
        model=Sponsor,
        lookup={"code": "baznas-kendari"},
        data={"name": "BAZNAS Kota Kendari", "kind": Sponsor.Kind.BAZNAS},
    )
    for registration in sponsored:
        if not Sponsorship.objects.filter(
            sponsor=sponsor, participant=registration.participant
        ).exists():
            services.sponsorship_create(
                sponsor=sponsor, participant=registration.participant, months=3
            )
    if sponsored:
        amounts = {
            s.participant_id: s.monthly_amount for s in Sponsorship.objects.filter(sponsor=sponsor)
        }
        lines = [
            services.PaymentLineInput(r.payment_code, amounts[r.participant_id] * 3, 3)
            for r in sponsored
        ]
        answer = services.payment_receive(
            channel=channel,
            channel_ref="DEMO-SPONSOR-BAZNAS-1",
            lines=lines,
            paid_at=now - datetime.timedelta(days=20),
            request_hash=hashlib.sha256(repr(lines).encode()).hexdigest(),
            sponsor_code=sponsor.code,
        )
        made += answer.created
        if answer.created:
            context.periods_paid.add(period_of((now - datetime.timedelta(days=20)).date()))
    refreshed = services.participant_statuses_refresh(
        among=Participant.objects.filter(pk__in=demo.values("participant_id"))
    )
    context.note(
        f"{made} new payments (one sponsor payment for {len(sponsored)} participants); "
        f"{refreshed.lapsed} participants lapsed to non-active"
    )


CONTACT_OUTCOMES = ("promised", "unreachable", "paid_elsewhere", "declined", "moved")


def _seed_contacts(context: DemoContext) -> None:
    """A visit or call to every third recruit who is not paid ahead, and one death
    reported, so the work list shows last contacts and the branch has a case to close.
    Replays of the same client_uuids change nothing."""
    now = timezone.now()
    by_agent: dict[Agent, list[services.ContactInput]] = {}
    recruits = (
        demo_registrations()
        .select_related("agent", "participant__branch")
        .exclude(participant__paid_through__gt=now.date() + datetime.timedelta(days=14))
        .order_by("id")
    )
    for n, registration in enumerate(recruits):
        if n % 3:
            continue
        rng = random.Random(registration.client_uuid.int + 1)  # noqa: S311 (demo data)
        outcome = "deceased" if n == 0 else rng.choice(CONTACT_OUTCOMES)
        contacted_at = max(
            registration.captured_at, now - datetime.timedelta(days=rng.randint(1, 20))
        )
        local_day = contacted_at.astimezone(registration.participant.branch.zone).date()
        by_agent.setdefault(registration.agent, []).append(
            services.ContactInput(
                client_uuid=uuid.uuid5(NAMESPACE, f"demo-contact-{registration.client_uuid}"),
                registration_id=registration.pk,
                contacted_at=contacted_at,
                method=rng.choice(("visit", "call", "message")),
                outcome=outcome,
                promised_on=(
                    local_day + datetime.timedelta(days=rng.randint(1, 14))
                    if outcome == "promised"
                    else None
                ),
                note="",
            )
        )
    created = 0
    for agent, items in by_agent.items():
        results = services.contacts_record(agent=agent, items=items)
        created += sum(1 for result in results if result.outcome == services.Outcome.CREATED)
    context.note(
        f"{sum(len(items) for items in by_agent.values())} follow-up contacts ({created} new)"
    )
