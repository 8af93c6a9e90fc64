import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from core import crypto
from tests.builders import active_agent, new_nik

pytestmark = pytest.mark.django_db


def test_the_admin_and_docs_have_a_content_security_policy(client):
    admin = client.get("/admin/login/")
    assert "script-src 'self'" in admin["Content-Security-Policy"]
    assert (
        "'unsafe-inline'"
        not in admin["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in admin["Content-Security-Policy"]
    docs = client.get("/api/docs/")
    assert "script-src 'self' 'unsafe-inline'" in docs["Content-Security-Policy"]
    for response in (admin, docs, client.get("/healthz")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert "camera=()" in response["Permissions-Policy"]


def test_the_api_answers_with_a_locked_down_policy(api_client):
    response = api_client.get("/api/v1/regencies")
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_cors_is_closed(api_client):
    response = api_client.options(
        "/api/v1/auth/token",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in response


def test_an_oversized_sync_is_413_before_it_is_read(api_client, settings):
    settings.REQUEST_SIZE_LIMITS = {"/api/v1/agent/registrations/sync": 1024}
    body = json.dumps({"items": [{"x": "y" * 2000}]})
    response = api_client.post(
        "/api/v1/agent/registrations/sync",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert "1024" in response.json()["message"]


def test_an_oversized_company_import_is_413(admin_client, settings):
    settings.REQUEST_SIZE_LIMITS = {"/admin/partners/company/import/": 100}
    response = admin_client.post(
        "/admin/partners/company/import/", {"file": StringIO("x" * 500)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413


def test_encryption_keys_rotate_without_losing_a_nik(kendari, settings):
    nik = new_nik(8080)
    agent = active_agent(kendari, nik=nik)
    old_ciphertext = type(agent).objects.get(pk=agent.pk).nik_ciphertext
    new_key = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new_key, *settings.ENCRYPTION_KEYS]
    out = StringIO()
    call_command("rotate_encryption", stdout=out)
    assert "agents.Agent: 1 rows re-encrypted" in out.getvalue()
    rotated = type(agent).objects.get(pk=agent.pk).nik_ciphertext
    assert rotated != old_ciphertext
    settings.ENCRYPTION_KEYS = [new_key]  # the old key dropped
    assert crypto.decrypt(rotated) == nik
