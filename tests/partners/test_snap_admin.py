"""Head office registers a channel's SNAP credentials in the admin: the service id is
padded as SNAP sends it, and a key that is not an RSA public key is refused on its
field."""

import pytest

from partners.models import Partner, PartnerKind, SnapClient
from tests.snap_bank import key_pair

pytestmark = pytest.mark.django_db

ADD = "/admin/partners/snapclient/add/"


@pytest.fixture
def bank(db):
    return Partner.objects.create(code="BANK-A", name="Bank A", kind=PartnerKind.PAYMENT_CHANNEL)


def form(bank, **changes):
    return {
        "partner": bank.pk,
        "partner_service_id": "88899",
        "client_key": "bank-a-client",
        "public_key_pem": key_pair()[1],
    } | changes


def test_credentials_are_saved_with_the_service_id_padded(admin_client, bank):
    response = admin_client.post(ADD, form(bank))
    assert response.status_code == 302, response.content.decode()[:2000]
    client = SnapClient.objects.get()
    assert client.partner_service_id == "   88899"
    assert client.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"public_key_pem": "-----BEGIN PUBLIC KEY-----\nnot a key\n"}, "public_key_pem"),
        ({"partner_service_id": "88A99"}, "partner_service_id"),
    ],
)
def test_bad_credentials_are_refused_on_their_field(admin_client, bank, changes, field):
    response = admin_client.post(ADD, form(bank, **changes), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not SnapClient.objects.exists()
