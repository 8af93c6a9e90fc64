"""The demo world's NIKs appear nowhere in the clear: not in any plain-text column of
the database, not in a log line, not in an API response."""

import logging
import re
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from rest_framework.test import APIClient

from core import crypto

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"


def all_niks() -> set[str]:
    niks: set[str] = set()
    for model in apps.get_models():
        if "nik_ciphertext" in getattr(model, "encrypted_fields", ()):
            niks.update(
                crypto.decrypt(token)
                for token in model._default_manager.values_list("nik_ciphertext", flat=True)
            )
    return niks


def plain_text_values():
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
            and field.attname not in getattr(model, "encrypted_fields", ())
        ]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                yield model._meta.label, str(value)


def test_no_unmasked_nik_anywhere(caplog):
    with caplog.at_level(logging.DEBUG):
        call_command("seed_demo", "--password", PASSWORD, verbosity=2, stdout=StringIO())
        client = APIClient()
        token = client.post(
            "/api/v1/auth/token", {"username": "KDI-0001", "password": PASSWORD}, format="json"
        )
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")
        responses = [
            client.get("/api/v1/agent/me"),
            client.get("/api/v1/agent/registrations", {"page_size": 200}),
            client.get("/api/v1/agent/fees"),
        ]
        registration_id = responses[1].json()["results"][0]["id"]
        responses.append(client.get(f"/api/v1/agent/registrations/{registration_id}"))
    niks = all_niks()
    assert len(niks) > 300  # agents and participants
    pattern = re.compile("|".join(sorted(niks)))

    leaks = [(label, value[:40]) for label, value in plain_text_values() if pattern.search(value)]
    assert leaks == []
    logged = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert caplog.records and not pattern.search(logged)
    for response in responses:
        assert response.status_code == 200
        assert not pattern.search(response.content.decode())
