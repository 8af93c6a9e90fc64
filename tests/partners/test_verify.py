import pytest

from tests.partners.conftest import CHECKS, company

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(ptsp_client):
    company("9120001234567", name="CV Bahari Kendari", arrears=4)
    return ptsp_client.post(
        CHECKS,
        {"nib": "9120001234567", "permit_type": "izin_usaha", "application_ref": "A-1"},
        format="json",
    ).json()


def test_a_genuine_reference_shows_only_the_listed_fields(api_client, checked):
    path = checked["verification_url"].split("testserver", 1)[1]
    response = api_client.get(path)
    assert response.status_code == 200
    assert response.json() == {
        "valid": True,
        "reference": checked["reference"],
        "decision": "not_eligible",
        "company_name": "CV Bahari Kendari",
        "checked_at": checked["checked_at"],
        "valid_until": checked["valid_until"],
    }


def test_a_wrong_or_missing_sig_or_unknown_reference_is_404(api_client, checked):
    reference = checked["reference"]
    sig = checked["verification_url"].rsplit("sig=", 1)[1]
    for path in (
        f"/api/v1/verify/{reference}?sig={'0' * 32}",
        f"/api/v1/verify/{reference}",
        f"/api/v1/verify/{reference}?sig={sig[:-1]}",
        f"/api/v1/verify/PC-2026-99999999?sig={sig}",
    ):
        response = api_client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_verification_urls_use_the_public_base_url_when_set(ptsp_client, settings):
    settings.PUBLIC_BASE_URL = "https://perisai.example.id"
    company("9120001234567")
    body = ptsp_client.post(
        CHECKS,
        {"nib": "9120001234567", "permit_type": "izin_usaha", "application_ref": "A-2"},
        format="json",
    ).json()
    assert body["verification_url"].startswith("https://perisai.example.id/api/v1/verify/PC-")


def test_a_signature_with_non_ascii_characters_is_404_not_500(api_client, checked):
    reference = checked["reference"]
    assert api_client.get(f"/api/v1/verify/{reference}", {"sig": "é" * 32}).status_code == 404
    assert api_client.get(f"/api/v1/verify/{reference}é", {"sig": "0"}).status_code == 404
