"""The refused-requests log keeps whatever a channel sent, even bytes PostgreSQL text
cannot hold: a NUL in a refused body used to turn the refusal into a 500."""

import time

import pytest

from partners import services
from partners.models import RefusedRequest
from partners.signatures import signature_header
from tests.partners.conftest import api_key_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/partner/payments", "/api/v1/partner/payments/REF-1/reversal"]
)
@pytest.mark.parametrize("raw", [b'{"channel_ref": "\x00"', b"\x00\xff\xfe{}"])
def test_a_signed_body_with_a_nul_or_bad_utf8_is_refused_and_logged(bank, path, raw):
    key = services.partner_key_create(partner=bank)[1]
    secret = services.signing_secret_create(partner=bank)[1]
    response = api_key_client(key).post(
        path,
        data=raw,
        content_type="application/json",
        HTTP_X_SIGNATURE=signature_header(secret, int(time.time()), raw),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    logged = RefusedRequest.objects.get()
    assert (logged.status, logged.path) == (400, path)
    assert "\x00" not in logged.body and "\ufffd" in logged.body
