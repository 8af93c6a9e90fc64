"""Input that once reached PostgreSQL or Python's parser and came back as a 500: a NUL
character in a path or query, JSON nested a thousand deep, an amount past bigint. Each
is a 400 (or 404/422) in the error shape, and nothing is stored."""

import pytest
from rest_framework.test import APIClient

from enrollments.models import Payment
from tests.builders import PAYMENTS, ChannelClient

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/provinces/%00",
        "/api/v1/agent/registrations?cursor=%00",
        "/api/v1/agent/registrations/a%00b",
    ],
)
def test_a_nul_character_in_the_address_is_a_400(client_a, path):
    response = client_a.get(path)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"


def test_a_nul_character_in_a_partner_path_is_a_400_and_nothing_changes():
    channel_client = ChannelClient()
    response = channel_client.post(f"{PAYMENTS}/a%00b/reversal", {"reason": "x"})
    assert response.status_code == 400, response.content
    response = channel_client.post("/api/v1/partner/permit-checks/PC%00x", {})
    assert response.status_code == 400


@pytest.mark.parametrize("authenticated", [True, False])
def test_json_nested_a_thousand_deep_is_a_400(client_a, authenticated):
    client = client_a if authenticated else APIClient()
    path = "/api/v1/agent/registrations/sync" if authenticated else "/api/v1/auth/token"
    response = client.post(path, data=DEEP, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"


def test_an_amount_past_bigint_is_refused_not_a_500(client_a):
    from tests.builders import EXAMPLE, post

    registered = post(client_a, EXAMPLE).json()
    response = ChannelClient().pay(registered["payment_code"], 10**30, 1)
    assert 400 <= response.status_code < 500, response.content
    assert not Payment.objects.exists()
