"""Builders more than one test package uses: agents at each step of their lifecycle,
staff accounts, registration bodies and an agent's API client, registrations and
payments made through the services, and a payment channel's signed client.

Plain functions: conftest files make fixtures of them, and test modules import them
from here rather than from another package's conftest.
"""

import copy
import datetime
import itertools
import json
import time
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from agents import services
from agents.models import Agent, AgentStatusChange, AppointedBank, Branch, StaffProfile
from enrollments import services as enrollment_services
from enrollments.models import Registration
from partners import services as partner_services
from partners.models import Partner, PartnerKind
from partners.signatures import signature_header

# Agents and staff ----------------------------------------------------------------------

PASSWORD = "Sandi-Agen-2026!"
_serials = itertools.count(1)


def new_nik(serial: int | None = None) -> str:
    """A structurally valid synthetic NIK: Kota Kendari, born 1 Jan 1990, male."""
    return f"747101010190{serial if serial is not None else next(_serials):04d}"


def new_phone(serial: int) -> str:
    return f"0812{serial:08d}"


def apply_agent(branch: Branch, *, nik: str | None = None, phone: str | None = None, **extra):
    serial = next(_serials)
    return services.agent_apply(
        branch=branch,
        full_name=extra.pop("full_name", f"Agen {serial}"),
        nik=nik or new_nik(serial),
        phone=phone or new_phone(serial),
        bank=AppointedBank.BNI,
        bank_account_number=f"{serial:010d}",
        password=PASSWORD,
        by=None,
        **extra,
    )


def train(agent: Agent) -> None:
    services.agent_training_record(
        agent=agent,
        completed_on=agent.branch.local_today() - datetime.timedelta(days=1),
        trainer="Tim Pemasaran",
        branch=agent.branch,
        by=None,
    )


def active_agent(branch: Branch, **kwargs) -> Agent:
    agent = apply_agent(branch, **kwargs)
    train(agent)
    return services.agent_activate(agent=agent, by=None, channel=AgentStatusChange.Channel.COMMAND)


def staff(username: str, level: str, *, branch=None, region=None):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    groups: dict[str, str] = {
        StaffProfile.Level.BRANCH: "Staf Kantor Cabang",
        StaffProfile.Level.REGION: "Staf Kantor Wilayah",
        StaffProfile.Level.HEAD_OFFICE: "Staf Kantor Pusat",
    }
    group = groups[level]
    user.groups.add(Group.objects.get(name=group))
    StaffProfile.objects.create(user=user, level=level, branch=branch, region=region)
    return user


def agent_client(agent) -> APIClient:
    """An API client signed in as ``agent``, with a bearer token of its own."""
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/token", {"username": agent.code, "password": PASSWORD}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


# Registrations -------------------------------------------------------------------------

EXAMPLE = {
    "client_uuid": "4f0c2b1e-8d6a-4d0e-9b7e-2a5c1f3e9d10",
    "nik": "7471014507900001",
    "full_name": "Wa Ode Sitti",
    "birth_date": "1990-07-05",
    "sex": "F",
    "phone": "081234567890",
    "regency_code": "7471",
    "address": "Jl. Bunga Kamboja 5, Kendari",
    "occupation": "fisher",
    "declared_income": 1000000,
    "programs": ["JKK", "JKM", "JHT"],
    "payment_period_months": 3,
    "consent": {"given": True, "method": "signature", "at": "2026-11-20T09:15:00+08:00"},
    "captured_at": "2026-11-20T09:15:00+08:00",
    "location": {"lat": -3.9985, "lng": 122.5129, "accuracy_m": 12},
}
_numbers = itertools.count(100)


def body(number: int | None = None, **changes) -> dict:
    """A valid registration body; each number (1-9999) gives a different worker and
    client_uuid."""
    n = next(_numbers) if number is None else number
    captured = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    item = copy.deepcopy(EXAMPLE)
    item.update(
        client_uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"perisai-test-{n}")),
        nik=f"747102010190{n:04d}",  # born 1 Jan 1990, male, serial n
        birth_date="1990-01-01",
        sex="M",
        phone=f"0813{n:08d}",
        captured_at=captured,
        consent={"given": True, "method": "signature", "at": captured},
    )
    item.update(changes)
    return item


REGISTRATIONS = "/api/v1/agent/registrations"
SYNC = "/api/v1/agent/registrations/sync"


def post(client: APIClient, payload: dict, key: str | None = "auto", **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4()) if key == "auto" else key
    return client.post(REGISTRATIONS, payload, format="json", **extra)


# Payments ------------------------------------------------------------------------------

PAYMENTS = "/api/v1/partner/payments"


class ChannelClient:
    """A payment channel as the bank's integration sees it: a key and a secret."""

    def __init__(self, code: str = "BANK-DEMO") -> None:
        self.partner = Partner.objects.create(
            code=code, name=code, kind=PartnerKind.PAYMENT_CHANNEL
        )
        self.key = partner_services.partner_key_create(partner=self.partner)[1]
        self.secret = partner_services.signing_secret_create(partner=self.partner)[1]

    def post(
        self,
        path: str,
        payload: dict,
        *,
        secret: str | None = None,
        t: int | None = None,
        signature: str | None = None,
        **extra,
    ):
        raw = json.dumps(payload).encode()
        header = (
            signature
            if signature is not None
            else signature_header(
                secret or self.secret, t if t is not None else int(time.time()), raw
            )
        )
        client = APIClient()
        return client.post(
            path,
            data=raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {self.key}",
            HTTP_X_SIGNATURE=header,
            **extra,
        )

    def pay(
        self,
        code: str,
        amount: int,
        months: int,
        *,
        ref: str | None = None,
        paid_at: str = "2026-11-21T10:00:00+08:00",
        **extra,
    ):
        payload = {
            "channel_ref": ref or f"REF-{uuid.uuid4().hex[:10]}",
            "payment_code": code,
            "amount": amount,
            "months": months,
            "paid_at": paid_at,
        }
        return self.post(PAYMENTS, payload, **extra)

    def reverse(self, ref: str, **extra):
        return self.post(f"{PAYMENTS}/{ref}/reversal", {"reason": "chargeback"}, **extra)


def iso(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def register(
    agent,
    n: int,
    *,
    captured: datetime.datetime | None = None,
    programs: frozenset[str] = frozenset({"JKK", "JKM", "JHT"}),
) -> Registration:
    item = body(n)
    # Long before any payment date the tests use: no one pays before being registered.
    captured = captured or datetime.datetime(2023, 12, 1, 9, tzinfo=datetime.UTC)
    result = enrollment_services.registrations_register(
        agent=agent,
        items=[
            enrollment_services.RegistrationInput(
                client_uuid=uuid.UUID(item["client_uuid"]),
                nik=item["nik"],
                full_name=item["full_name"],
                birth_date=datetime.date(1990, 1, 1),
                sex="M",
                phone=item["phone"],
                regency_code="7471",
                address="",
                occupation="fisher",
                declared_income=1_000_000,
                programs=programs,
                payment_period_months=1,
                consent=enrollment_services.Consent(True, "signature", captured),
                captured_at=captured,
            )
        ],
        channel=Registration.Channel.SYNC,
    )[0]
    assert result.registration is not None, result.error
    return result.registration


def pay(
    channel,
    registration: Registration,
    *,
    months: int = 1,
    at: datetime.datetime,
    ref: str | None = None,
):
    return enrollment_services.payment_receive(
        channel=channel,
        channel_ref=ref or f"P-{uuid.uuid4().hex[:12]}",
        lines=[
            enrollment_services.PaymentLineInput(
                registration.payment_code, registration.monthly_total * months, months
            )
        ],
        paid_at=at,
        request_hash=uuid.uuid4().hex,
    )
