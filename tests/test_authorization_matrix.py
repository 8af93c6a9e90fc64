"""Every API endpoint, called as every kind of caller, with the exact status each gets.
An endpoint that is not in the table fails the test: new endpoints must say who may
call them."""

import json
import time

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from agents import services as agent_services
from agents.models import Agent, StaffProfile
from core.models import Regency
from fees.models import FeeStatement
from partners import services as partner_services
from partners.models import Company, Partner, PartnerKind, PermitCheck
from partners.signatures import signature_header
from tests.builders import PASSWORD, active_agent, body, post, staff

pytestmark = pytest.mark.django_db

CALLERS = [
    "anonymous",
    "agent_a",
    "agent_b",
    "inactive_agent",
    "ptsp",
    "paten",
    "payment_channel",
    "other_office",
    "staff_other_branch",
]
AGENT_ONLY = {
    "anonymous": 401,
    "agent_a": 200,
    "agent_b": 200,
    "inactive_agent": 403,
    "ptsp": 401,
    "paten": 401,
    "payment_channel": 401,
    "other_office": 401,
    "staff_other_branch": 403,
}


# (method, route as in the URLconf) -> status per caller
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "auth/token"): dict.fromkeys(CALLERS, 400),
    ("POST", "auth/token/refresh"): dict.fromkeys(CALLERS, 400),
    ("POST", "auth/logout"): dict.fromkeys(CALLERS, 400),
    ("GET", "agent/me"): AGENT_ONLY,
    ("GET", "reference"): AGENT_ONLY,
    ("GET", "agent/registrations"): AGENT_ONLY,
    ("POST", "agent/registrations"): {**AGENT_ONLY, "agent_a": 400, "agent_b": 400},
    ("POST", "agent/registrations/sync"): {**AGENT_ONLY, "agent_a": 400, "agent_b": 400},
    ("GET", "agent/registrations/<int:registration_id>"): {**AGENT_ONLY, "agent_b": 404},
    # Without a bucket, and without items: refused once the caller is let in.
    ("GET", "agent/follow-ups"): {**AGENT_ONLY, "agent_a": 400, "agent_b": 400},
    ("POST", "agent/follow-ups/contacts"): {**AGENT_ONLY, "agent_a": 400, "agent_b": 400},
    # Each agent lists only their own; reserving without an Idempotency-Key is refused.
    ("GET", "agent/reservations"): AGENT_ONLY,
    ("POST", "agent/reservations"): {**AGENT_ONLY, "agent_a": 400, "agent_b": 400},
    ("GET", "agent/fees"): AGENT_ONLY,
    ("GET", "^agent/fees/(?P<period>[0-9]{4}-(?:0[1-9]|1[0-2]))$"): {**AGENT_ONLY, "agent_b": 404},
    ("GET", "provinces"): {
        **dict.fromkeys(CALLERS, 200),
        "anonymous": 401,
        "ptsp": 401,
        "paten": 401,
        "payment_channel": 401,
        "other_office": 401,
    },
    ("GET", "provinces/<str:code>"): {
        **dict.fromkeys(CALLERS, 200),
        "anonymous": 401,
        "ptsp": 401,
        "paten": 401,
        "payment_channel": 401,
        "other_office": 401,
    },
    ("GET", "regencies"): {
        **dict.fromkeys(CALLERS, 200),
        "anonymous": 401,
        "ptsp": 401,
        "paten": 401,
        "payment_channel": 401,
        "other_office": 401,
    },
    ("POST", "partner/permit-checks"): {
        **dict.fromkeys(CALLERS, 401),
        "ptsp": 201,
        "paten": 201,
        "payment_channel": 403,
        "other_office": 403,
    },
    ("GET", "partner/permit-checks/<str:reference>"): {
        **dict.fromkeys(CALLERS, 401),
        "ptsp": 200,
        "paten": 404,
        "payment_channel": 404,
        "other_office": 404,
    },
    ("POST", "partner/payments"): {
        **dict.fromkeys(CALLERS, 401),
        "ptsp": 403,
        "paten": 403,
        "payment_channel": 400,
        "other_office": 403,
    },
    ("POST", "partner/payments/<str:channel_ref>/reversal"): {
        **dict.fromkeys(CALLERS, 401),
        "ptsp": 403,
        "paten": 403,
        "payment_channel": 404,
        "other_office": 403,
    },
    ("POST", "partner/notifications/receipts"): {
        **dict.fromkeys(CALLERS, 401),
        "ptsp": 403,
        "paten": 403,
        "payment_channel": 403,
        "other_office": 403,
    },
    ("GET", "verify/<str:reference>"): dict.fromkeys(CALLERS, 200),
    ("GET", "tallies"): {
        **dict.fromkeys(CALLERS, 401),
        "agent_a": 403,
        "agent_b": 403,
        "inactive_agent": 403,
        "staff_other_branch": 200,
    },
    ("GET", "tallies/retention"): {
        **dict.fromkeys(CALLERS, 401),
        "agent_a": 403,
        "agent_b": 403,
        "inactive_agent": 403,
        "staff_other_branch": 200,
    },
}


# SNAP authenticates by its own credentials (a client key, an RSA-signed token, HMAC):
# no agent's token, staff sign-in or partner API key opens it.
SNAP_ONLY = dict.fromkeys(CALLERS, 401)
MATRIX |= {
    ("POST", "snap/v1.0/access-token/b2b"): SNAP_ONLY,
    ("POST", "snap/v1.0/transfer-va/inquiry"): SNAP_ONLY,
    ("POST", "snap/v1.0/transfer-va/payment"): SNAP_ONLY,
    ("POST", "snap/v1.0/transfer-va/status"): SNAP_ONLY,
}


def api_routes() -> set[tuple[str, str]]:
    """(method, route) of every view under /api/v1/ (the route as in the URLconf), and
    under /snap/v1.0/ (the route with that prefix)."""
    found: set[tuple[str, str]] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and prefix.startswith(("api/v1/", "snap/")):
                view = getattr(pattern.callback, "view_class", None)
                if view is None:
                    continue
                route = str(pattern.pattern)
                if prefix.startswith("snap/"):
                    route = prefix + route
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(view, method):
                        found.add((method.upper(), route))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_endpoint_has_a_row():
    assert api_routes() == set(MATRIX)


@pytest.fixture
def world(kendari, manado):
    agent_a = active_agent(kendari, full_name="Agen A")
    agent_b = active_agent(kendari, full_name="Agen B")
    inactive = active_agent(kendari, full_name="Agen Nonaktif")
    agent_services.agent_deactivate(agent=inactive, by=None, reason="Tidak aktif")
    staff("staf.mdo", StaffProfile.Level.BRANCH, branch=manado)
    client_a = jwt(agent_a.code)
    registration = post(client_a, body(1)).json()
    FeeStatement.objects.create(
        agent=agent_a, branch=kendari, period=timezone.localdate().strftime("%Y-%m")
    )

    ptsp = Partner.objects.create(code="PTSP-7471", name="PTSP", kind=PartnerKind.PTSP)
    ptsp.jurisdiction_regencies.add(Regency.objects.get(code="7471"))
    paten = Partner.objects.create(code="PATEN-747101", name="PATEN", kind=PartnerKind.PATEN)
    paten.jurisdiction_regencies.add(Regency.objects.get(code="7471"))
    other = Partner.objects.create(code="PTSP-7171", name="PTSP Manado", kind=PartnerKind.PTSP)
    channel = Partner.objects.create(
        code="BANK-DEMO", name="Bank", kind=PartnerKind.PAYMENT_CHANNEL
    )
    keys = {
        name: partner_services.partner_key_create(partner=p)[1]
        for name, p in (
            ("ptsp", ptsp),
            ("paten", paten),
            ("other_office", other),
            ("payment_channel", channel),
        )
    }
    secret = partner_services.signing_secret_create(partner=channel)[1]
    Company.objects.create(
        nib="9120001234567",
        name="CV Uji",
        regency_id="7471",
        npp="NPP1",
        reported_workforce=1,
        enrolled_active=1,
        arrears_months=0,
        source="test",
        source_updated_at=timezone.now(),
    )
    check = partner_services.permit_check_make(
        api_key=ptsp.api_keys.get(),
        client_ip="127.0.0.1",
        nib="9120001234567",
        permit_type="x",
        application_ref="A-0",
        request_body={},
        base_url="http://testserver/",
    )
    return {
        "agents": {
            "agent_a": agent_a.code,
            "agent_b": agent_b.code,
            "inactive_agent": inactive.code,
        },
        "keys": keys,
        "secret": secret,
        "registration_id": registration["id"],
        "reference": check.check.reference,
        "verify": check.answer["verification_url"],
    }


def jwt(username: str, password: str = PASSWORD) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json"
    )
    if response.status_code == 200:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def client_for(caller: str, world: dict) -> APIClient:
    if caller == "anonymous":
        return APIClient()
    if caller in world["agents"]:
        if caller == "inactive_agent":  # a token issued while still active
            client = APIClient()
            user = Agent.objects.get(code=world["agents"][caller]).user
            client.credentials(
                HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}"
            )
            return client
        return jwt(world["agents"][caller])
    if caller == "staff_other_branch":
        return jwt("staf.mdo")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {world['keys'][caller]}")
    return client


def request(client: APIClient, method: str, route: str, world: dict, caller: str):
    period = timezone.localdate().strftime("%Y-%m")
    registration_id = world["registration_id"]
    path = {
        "agent/registrations/<int:registration_id>": f"agent/registrations/{registration_id}",
        "^agent/fees/(?P<period>[0-9]{4}-(?:0[1-9]|1[0-2]))$": f"agent/fees/{period}",
        "provinces/<str:code>": "provinces/74",
        "partner/permit-checks/<str:reference>": f"partner/permit-checks/{world['reference']}",
        "partner/payments/<str:channel_ref>/reversal": "partner/payments/NEVER-SENT/reversal",
        "verify/<str:reference>": world["verify"].split("/api/v1/", 1)[1],
    }.get(route, route)
    url = f"/{path}" if route.startswith("snap/") else f"/api/v1/{path}"
    if method == "GET":
        return client.get(url)
    payload: dict = {}
    if route == "partner/permit-checks":
        payload = {"nib": "9120001234567", "permit_type": "x", "application_ref": f"M-{caller}"}
    raw = json.dumps(payload).encode()
    signature = signature_header(world["secret"], int(time.time()), raw)
    return client.post(url, data=raw, content_type="application/json", HTTP_X_SIGNATURE=signature)


@pytest.mark.parametrize("caller", CALLERS)
def test_the_matrix(world, caller):
    client = client_for(caller, world)
    got = {}
    for (method, route), _statuses in sorted(MATRIX.items()):
        got[(method, route)] = request(client, method, route, world, caller).status_code
    expected = {key: statuses[caller] for key, statuses in MATRIX.items()}
    mismatches = {key: (got[key], expected[key]) for key in expected if got[key] != expected[key]}
    assert mismatches == {}, f"{caller}: (got, expected) {mismatches}"
    assert PermitCheck.objects.filter(application_ref__startswith="M-").count() <= 2
