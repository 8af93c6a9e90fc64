"""The bodies in docs/examples/, which the README's commands send, are accepted as they
are (the payment with the registration's payment code filled in, as the README says)."""

import json
from pathlib import Path

import pytest

from core.models import Regency
from partners.models import Partner, PartnerKind
from partners.services import partner_key_create
from tests.builders import PAYMENTS, ChannelClient, post
from tests.partners.conftest import api_key_client

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def test_the_registration_and_payment_examples_are_accepted(client_a):
    registered = post(client_a, example("registration.json"))
    assert registered.status_code == 201, registered.content
    payment = example("payment.json") | {"payment_code": registered.json()["payment_code"]}
    response = ChannelClient().post(PAYMENTS, payment)
    assert response.status_code == 201, response.content
    assert response.json()["participant_number"] == registered.json()["participant_number"]


def test_the_sync_example_is_accepted(client_a):
    response = client_a.post(
        "/api/v1/agent/registrations/sync", example("sync.json"), format="json"
    )
    assert response.status_code == 200, response.content
    assert [r["result"] for r in response.json()["results"]] == ["created", "created"]


def test_the_permit_check_example_is_accepted(kendari):
    office = Partner.objects.create(
        code="PTSP-7471", name="DPMPTSP Kota Kendari", kind=PartnerKind.PTSP
    )
    office.jurisdiction_regencies.add(Regency.objects.get(code="7471"))
    client = api_key_client(partner_key_create(partner=office, label="docs")[1])
    response = client.post(
        "/api/v1/partner/permit-checks", example("permit-check.json"), format="json"
    )
    assert response.status_code == 201, response.content


def test_the_contacts_example_is_accepted_for_the_agents_own_registration(client_a):
    registered = post(client_a, example("registration.json")).json()
    contacts = example("contacts.json")
    for item in contacts["items"]:
        item["registration_id"] = registered["id"]
    response = client_a.post("/api/v1/agent/follow-ups/contacts", contacts, format="json")
    assert response.status_code == 200, response.content
    assert [r["result"] for r in response.json()["results"]] == ["created", "created"]


def test_the_reservation_example_is_accepted_and_a_registration_takes_its_number(client_a):
    reserved = client_a.post(
        "/api/v1/agent/reservations",
        example("reservation.json"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="docs-reservation",
    )
    assert reserved.status_code == 201, reserved.content
    number = reserved.json()["results"][0]["participant_number"]
    registered = post(client_a, example("registration.json") | {"reserved_number": number})
    assert registered.status_code == 201, registered.content
    assert registered.json()["participant_number"] == number
