"""Every message in the caller's language (Indonesian by default), and every field error
of a request in one answer."""

import inspect
import json
import re
from typing import Any

import pytest
from django.utils.translation import override
from rest_framework import fields, serializers

from tests.builders import REGISTRATIONS, SYNC, body, post

pytestmark = pytest.mark.django_db


def _drf_english_messages() -> list[str]:
    """DRF's own error messages, in English: the part before any placeholder."""
    messages = set()
    for module in (fields, serializers):
        for _name, klass in inspect.getmembers(module, inspect.isclass):
            for message in getattr(klass, "default_error_messages", {}).values():
                with override("en"):
                    text = str(message)
                head = re.split(r"[{%]", text)[0].strip(' "')
                if len(head) >= 8:
                    messages.add(head)
    return sorted(messages)


ENGLISH = _drf_english_messages()

BAD_REGISTRATIONS: list[dict[str, Any]] = [
    {"full_name": "", "address": 5},
    {"nik": 7471014507900001, "programs": "JKK", "consent": "yes", "location": []},
    {"programs": [], "birth_date": "1990-01-01T00:00:00Z", "captured_at": "2026-01-01"},
    {"programs": ["JKK", "JKK"], "declared_income": "a lot", "client_uuid": "x"},
    {"sex": "X", "payment_period_months": 2, "regency_code": "74a1", "full_name": None},
    {"consent": {"given": "maybe", "at": "yesterday"}, "location": {"lat": 1000}},
]
BAD_SYNCS: list[dict[str, Any]] = [{"items": []}, {"items": "notalist"}, {}, {"items": {"a": 1}}]


def test_the_english_list_is_not_empty():
    assert "This list may not be empty." in ENGLISH
    assert "Expected a list of items but got type" in ENGLISH


def test_answers_in_indonesian_never_carry_drf_english_messages(client_a):
    texts = []
    for payload in BAD_REGISTRATIONS:
        answer = post(client_a, body() | payload, HTTP_ACCEPT_LANGUAGE="id")
        assert answer.status_code == 400, answer.content
        texts.append(answer.content.decode())
    for sync in [*BAD_SYNCS, {"items": list(BAD_REGISTRATIONS)}]:
        answer = client_a.post(SYNC, sync, format="json", HTTP_ACCEPT_LANGUAGE="id")
        texts.append(answer.content.decode())
    listing = client_a.get(REGISTRATIONS, {"page_size": "0"}, HTTP_ACCEPT_LANGUAGE="id")
    texts.append(listing.content.decode())

    leaks = {english for text in texts for english in ENGLISH if english in text}
    assert leaks == set()
    # and they were answered in Indonesian, not in no language at all
    assert (
        "Bidang ini harus diisi."
        in post(client_a, {}, HTTP_ACCEPT_LANGUAGE="id").json()["fields"]["nik"]
    )


def test_english_callers_get_english(client_a):
    answer = client_a.post(SYNC, {"items": []}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.json()["fields"]["items"] == ["This list may not be empty."]


def test_a_bad_nik_and_missing_fields_are_reported_together(client_a):
    payload = body(nik="1234")
    del payload["full_name"], payload["occupation"]
    answer = post(client_a, payload, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    errors = answer.json()["fields"]
    assert set(errors) == {"nik", "full_name", "occupation"}
    assert errors["nik"] == ["A NIK is 16 digits."]
    assert "1234" not in json.dumps(errors)


def test_every_field_error_of_a_body_in_one_answer(client_a):
    payload = body(
        nik="7471014507900000",  # serial 0000
        birth_date="2999-01-01",
        captured_at="2999-01-01T00:00:00Z",
        phone="12",
        consent={"given": False, "method": "signature", "at": "2999-01-01T00:00:00Z"},
    )
    del payload["sex"]
    errors = post(client_a, payload, HTTP_ACCEPT_LANGUAGE="en").json()["fields"]
    assert set(errors) == {"nik", "birth_date", "captured_at", "phone", "consent", "sex"}
    assert set(errors["consent"]) == {"given", "at"}


def test_a_sync_item_reports_all_its_field_errors(client_a):
    item = body(nik="12")
    del item["sex"]
    answer = client_a.post(SYNC, {"items": [item]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    (result,) = answer.json()["results"]
    assert result["result"] == "invalid"
    assert set(result["error"]["fields"]) == {"nik", "sex"}


def test_the_admin_index_names_every_app_and_model_in_indonesian(admin_client):
    html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    for english in (
        "Pghistory",
        "PGHISTORY",
        "Events",
        "Blacklisted",
        "Outstanding",
        "fee tertunda",
    ):
        assert english not in html
    assert "Riwayat perubahan" in html
    assert "Daftar hitam token" in html


def test_fee_line_descriptions_follow_the_callers_language():
    from fees.apis import FeeLineOutputSerializer
    from fees.models import LineKind

    line = type("Line", (), {"kind": LineKind.COMMISSION})()
    serializer = FeeLineOutputSerializer()
    with override("id"):
        assert serializer.get_description(line) == "Komisi atas iuran yang diterima"
    with override("en"):
        assert serializer.get_description(line) == "Commission on a contribution received"
