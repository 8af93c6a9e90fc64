import pytest

from tests.partners.conftest import CHECKS

pytestmark = pytest.mark.django_db


def test_a_nib_of_the_wrong_shape_is_refused_in_indonesian(ptsp_client):
    answer = ptsp_client.post(
        CHECKS,
        {"nib": "12345", "permit_type": "izin_usaha", "application_ref": "A-1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert answer.status_code == 400
    assert answer.json()["fields"]["nib"] == ["NIB terdiri dari 13 digit."]
