"""Every API error has the shape {"code", "message", "fields"?}, with the message in
the caller's language."""

import json

import pytest
from django.test import RequestFactory
from django.utils import translation

from core.views import server_error

pytestmark = pytest.mark.django_db

LANGUAGES = {"id": "id", "en": "en-GB,en;q=0.9"}


@pytest.mark.parametrize(
    ("language", "message"),
    [("id", "Autentikasi diperlukan."), ("en", "Authentication is required.")],
)
def test_no_credentials_is_401_not_authenticated(api_client, language, message):
    response = api_client.get("/api/v1/regencies", HTTP_ACCEPT_LANGUAGE=LANGUAGES[language])
    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": message}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_401_not_authenticated(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get("/api/v1/regencies", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("language", "message"), [("id", "Tidak ditemukan."), ("en", "Not found.")]
)
def test_unknown_object_is_404_not_found(staff_client, language, message):
    response = staff_client.get("/api/v1/provinces/99", HTTP_ACCEPT_LANGUAGE=LANGUAGES[language])
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": message}


@pytest.mark.parametrize("language", ["id", "en"])
def test_unknown_api_path_is_404_in_the_same_shape(api_client, language):
    response = api_client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert response.json()["message"] == {"id": "Tidak ditemukan.", "en": "Not found."}[language]


@pytest.mark.parametrize(
    ("language", "message", "field_message"),
    [
        ("id", "Permintaan tidak valid.", "Masukkan kode provinsi dua digit."),
        ("en", "The request is not valid.", "Enter a two-digit province code."),
    ],
)
def test_bad_input_is_400_validation_error_with_fields(
    staff_client, language, message, field_message
):
    response = staff_client.get(
        "/api/v1/regencies", {"province": "7x"}, HTTP_ACCEPT_LANGUAGE=LANGUAGES[language]
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": message,
        "fields": {"province": [field_message]},
    }


def test_wrong_method_is_405_in_the_same_shape(staff_client):
    response = staff_client.post("/api/v1/regencies", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "message": "This method is not allowed here.",
    }


def test_language_defaults_to_indonesian(api_client):
    response = api_client.get("/api/v1/regencies")
    assert response.json()["message"] == "Autentikasi diperlukan."
    assert response["Content-Language"] == "id"


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_unexpected_error_under_api_is_500_in_the_same_shape(language):
    request = RequestFactory().get("/api/v1/anything", HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        response = server_error(request)
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["code"] == "server_error"
    assert (
        body["message"]
        == {
            "id": "Terjadi kesalahan di pihak kami. Coba lagi nanti.",
            "en": "Something went wrong on our side. Try again later.",
        }[language]
    )
