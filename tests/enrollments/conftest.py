import copy
import datetime
import itertools
import uuid

from django.utils import timezone
from rest_framework.test import APIClient

from tests.agents.conftest import PASSWORD

REGISTRATIONS = "/api/v1/agent/registrations"
SYNC = "/api/v1/agent/registrations/sync"

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


def agent_client(agent) -> APIClient:
    client = APIClient()
    tokens = client.post(
        "/api/v1/auth/token", {"username": agent.code, "password": PASSWORD}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return client


def post(client: APIClient, payload: dict, key: str | None = "auto", **extra):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4()) if key == "auto" else key
    return client.post(REGISTRATIONS, payload, format="json", **extra)
