import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db import violated_constraint
from partners import selectors, services
from partners.models import PERMIT_CHECK_APPLICATION_UNIQUE, PartnerApiKey, PermitCheck
from partners.serializers import PermitCheckOutputSerializer
from tests.partners.conftest import CHECKS, api_key_client, company
from tests.races import race

pytestmark = pytest.mark.django_db


def check(client, nib="9120001234567", ref=None, **extra):
    payload = {
        "nib": nib,
        "permit_type": "izin_usaha",
        "application_ref": ref or f"APP-{uuid.uuid4()}",
    }
    return client.post(CHECKS, payload, format="json", **extra)


def test_an_eligible_company(ptsp_client):
    company("9120001234567", name="CV Bahari Kendari", npp="NPP74710001", reported=12, enrolled=12)
    response = check(ptsp_client, ref="DPMPTSP-7471-2026-0042")
    assert response.status_code == 201
    body = response.json()
    assert body["reference"].startswith(f"PC-{timezone.localdate().year}-")
    assert body["decision"] == "eligible"
    assert body["reasons"] == []
    assert body["company"] == {
        "name": "CV Bahari Kendari",
        "nib": "9120001234567",
        "npp": "NPP74710001",
    }
    assert body["workforce"] == {"reported": 12, "enrolled_active": 12}
    assert body["arrears_months"] == 0
    assert body["valid_until"] > body["checked_at"]
    assert f"/api/v1/verify/{body['reference']}?sig=" in body["verification_url"]


@pytest.mark.parametrize(
    ("kwargs", "decision", "reasons"),
    [
        ({"enrolled": 7}, "not_eligible", ["workforce_not_enrolled"]),
        ({"arrears": 3}, "not_eligible", ["contribution_arrears"]),
        (
            {"enrolled": 7, "arrears": 4},
            "not_eligible",
            ["workforce_not_enrolled", "contribution_arrears"],
        ),
        ({"npp": ""}, "not_registered", ["not_registered"]),
    ],
)
def test_each_decision(ptsp_client, kwargs, decision, reasons):
    company("9120001234567", **kwargs)
    body = check(ptsp_client).json()
    assert (body["decision"], body["reasons"]) == (decision, reasons)


def test_an_unknown_nib_is_not_registered_with_no_company(ptsp_client):
    body = check(ptsp_client, nib="9999999999999").json()
    assert (body["decision"], body["reasons"], body["company"]) == (
        "not_registered",
        ["not_registered"],
        None,
    )


def test_the_arrears_threshold_comes_from_settings(ptsp_client, settings):
    company("9120001234567", arrears=2)
    settings.PERMIT_ARREARS_THRESHOLD_MONTHS = 2
    assert check(ptsp_client).json()["decision"] == "not_eligible"


def test_a_repeated_application_ref_returns_the_first_check(ptsp_client):
    company("9120001234567")
    first = check(ptsp_client, ref="APP-1")
    again = check(ptsp_client, ref="APP-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert PermitCheck.objects.count() == 1


def test_an_application_ref_reused_for_another_nib_is_a_conflict(ptsp_client):
    company("9120001234567")
    company("9120001234568")
    check(ptsp_client, ref="APP-1")
    response = check(ptsp_client, nib="9120001234568", ref="APP-1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "This application reference was already used for another NIB.",
    }


def test_the_answer_sent_is_the_answer_stored_in_the_schemas_shape(ptsp_client):
    company("9120001234567", npp="")
    created = check(ptsp_client, ref="APP-1").json()
    stored = PermitCheck.objects.get()
    assert created == json.loads(stored.response_body)
    assert list(created) == list(PermitCheckOutputSerializer().fields)
    assert created["company"]["npp"] is None
    assert ptsp_client.get(f"{CHECKS}/{stored.reference}").json() == created


@pytest.mark.postgres
def test_a_repeated_application_is_told_apart_by_its_constraints_name(ptsp, ptsp_key):
    """The service re-raises any other IntegrityError; this is the name it expects."""
    company("9120001234567")
    first = services.permit_check_make(
        api_key=PartnerApiKey.objects.get(),
        client_ip="127.0.0.1",
        nib="9120001234567",
        permit_type="izin_usaha",
        application_ref="APP-1",
        request_body={},
        base_url="http://testserver/",
    ).check
    first.pk, first.reference = None, "PC-0000-00000000"
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        first.save(force_insert=True)
    assert violated_constraint(raised.value) == PERMIT_CHECK_APPLICATION_UNIQUE


def test_a_company_outside_the_jurisdiction_is_403(ptsp_client, province_office):
    company("9120001234572", regency="7171")
    company("9120001234569", regency="7402")
    response = check(ptsp_client, nib="9120001234572", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert check(ptsp_client, nib="9120001234569").status_code == 403  # Konawe: not Kota Kendari
    province_client = api_key_client(services.partner_key_create(partner=province_office)[1])
    assert check(province_client, nib="9120001234569").status_code == 201  # province-wide office
    assert check(province_client, nib="9120001234572").status_code == 403


def test_another_offices_check_is_404(ptsp_client, province_office):
    company("9120001234567")
    reference = check(ptsp_client).json()["reference"]
    other = api_key_client(services.partner_key_create(partner=province_office)[1])
    assert ptsp_client.get(f"{CHECKS}/{reference}").status_code == 200
    assert other.get(f"{CHECKS}/{reference}").json()["code"] == "not_found"


def test_a_payment_channel_cannot_check_permits(bank):
    client = api_key_client(services.partner_key_create(partner=bank)[1])
    assert check(client).status_code == 403


def test_every_check_is_stored_with_office_key_ip_request_and_answer(ptsp, ptsp_client):
    company("9120001234567")
    body = check(ptsp_client, ref="APP-9", REMOTE_ADDR="198.51.100.7").json()
    stored = PermitCheck.objects.get()
    assert stored.partner == ptsp
    assert stored.api_key == PartnerApiKey.objects.get(partner=ptsp)
    assert stored.client_ip == "198.51.100.7"
    assert stored.request_body == {
        "nib": "9120001234567",
        "permit_type": "izin_usaha",
        "application_ref": "APP-9",
    }
    assert stored.reference == body["reference"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"nib": "123", "permit_type": "x", "application_ref": "y"}, {"nib": "9120001234567"}],
)
def test_bad_input_is_400(ptsp_client, payload):
    response = ptsp_client.post(CHECKS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"


# Keys ----------------------------------------------------------------------------------


def test_no_key_or_a_wrong_key_is_401(api_client, ptsp_client, ptsp_key):
    assert api_client.post(CHECKS, {}, format="json").status_code == 401
    prefix = ptsp_key.split(".")[0]
    for wrong in (f"{prefix}.wrong-secret", "nonsense", f"{prefix}", "abc.def"):
        response = api_key_client(wrong).post(CHECKS, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_a_revoked_key_is_401(ptsp_client, ptsp_key):
    company("9120001234567")
    assert check(ptsp_client).status_code == 201
    services.partner_key_revoke(key=PartnerApiKey.objects.get(prefix=ptsp_key.split(".")[0]))
    assert check(ptsp_client).status_code == 401


def test_an_inactive_partner_is_401(ptsp, ptsp_client):
    ptsp.is_active = False
    ptsp.save(update_fields=["is_active"])
    assert check(ptsp_client).status_code == 401


def test_the_stored_key_is_not_the_key(ptsp_key):
    prefix, secret = ptsp_key.split(".")
    stored = PartnerApiKey.objects.get(prefix=prefix)
    assert secret not in stored.secret_hash
    assert len(stored.secret_hash) == 64
    assert stored.secret_hash != secret


def test_two_live_keys_during_rotation(ptsp, ptsp_client, ptsp_key):
    company("9120001234567")
    _new, new_raw = services.partner_key_create(partner=ptsp, label="rotation")
    assert check(ptsp_client).status_code == 201
    assert check(api_key_client(new_raw)).status_code == 201
    services.partner_key_revoke(key=PartnerApiKey.objects.get(prefix=ptsp_key.split(".")[0]))
    assert check(ptsp_client).status_code == 401
    assert check(api_key_client(new_raw)).status_code == 201


def test_last_used_is_recorded(ptsp_client, ptsp_key):
    company("9120001234567")
    key = PartnerApiKey.objects.get(prefix=ptsp_key.split(".")[0])
    assert key.last_used_at is None
    check(ptsp_client)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_requests_are_throttled_per_key(ptsp, ptsp_client, settings):
    settings.PARTNER_THROTTLE = (3, 1_000_000)
    company("9120001234567")
    for _ in range(3):
        assert check(ptsp_client).status_code == 201
    throttled = check(ptsp_client, HTTP_ACCEPT_LANGUAGE="en")
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled["Retry-After"]) >= 1
    other = api_key_client(services.partner_key_create(partner=ptsp)[1])
    assert check(other).status_code == 201  # per key, not per office


def test_permits_are_still_checked_with_redis_down(ptsp, ptsp_client, redis_down):
    """Throttling fails open for partners: a permit office is not turned away because
    the counter is unreachable (sign-in, by contrast, fails closed)."""
    company("9120001234567")
    response = check(ptsp_client)
    assert response.status_code == 201
    assert response.json()["decision"] == "eligible"


def test_create_partner_key_prints_a_working_key_last(ptsp, bank):
    out = StringIO()
    call_command("create_partner_key", "--office", "ptsp-7471", stdout=out)
    last = out.getvalue().strip().splitlines()[-1]
    assert last.startswith("Authorization: Api-Key ")
    company("9120001234567")
    assert check(api_key_client(last.removeprefix("Authorization: Api-Key "))).status_code == 201
    out = StringIO()
    call_command("create_partner_key", "--office", "BANK-DEMO", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[-2].startswith("Authorization: Api-Key ")
    assert lines[-1].startswith("Signing secret: ")
    assert selectors.signing_secrets_live(partner=bank) == [
        lines[-1].removeprefix("Signing secret: ")
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_throttling_holds_under_concurrent_requests(ptsp, ptsp_key, settings):
    company("9120001234567")
    settings.PARTNER_THROTTLE = (5, 1_000_000)
    count = 16
    clients = [api_key_client(ptsp_key) for _ in range(count)]
    statuses = race(lambda i: check(clients[i]).status_code, count)
    assert sorted(statuses) == [201] * 5 + [429] * (count - 5)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_same_application_ref_at_once_makes_one_check(ptsp, ptsp_key):
    company("9120001234567")
    count = 8
    clients = [api_key_client(ptsp_key) for _ in range(count)]
    bodies = race(lambda i: check(clients[i], ref="SAME-REF").json(), count)
    assert PermitCheck.objects.count() == 1
    assert len({body["reference"] for body in bodies}) == 1


def test_a_permit_checks_query_count_does_not_grow_with_companies_or_checks(ptsp_client):
    company("9120001234567")
    check(ptsp_client)  # warm: the key's last use is written at most once a minute
    counts = []
    for added in (0, 200):
        for n in range(added):
            company(f"91300{n:08d}", npp="")
        for _ in range(added // 10):
            check(ptsp_client)
        with CaptureQueriesContext(connection) as captured:
            assert check(ptsp_client).status_code == 201
        counts.append(len(captured))
    assert counts[0] == counts[1]


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_the_verification_link_is_a_page_for_a_browser_and_json_for_a_client(ptsp_client):
    from rest_framework.test import APIClient

    company("9120001234567", name="CV Bahari Kendari", npp="NPP74710001", reported=12, enrolled=12)
    body = check(ptsp_client).json()
    path = body["verification_url"][body["verification_url"].index("/api/v1/verify/") :]
    public = APIClient()

    page = public.get(path, HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_ACCEPT_LANGUAGE="id")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "Memenuhi syarat" in html and "CV Bahari Kendari" in html
    assert body["reference"] in html
    assert "style-src 'unsafe-inline'" in page["Content-Security-Policy"]

    for accept in ("application/json", "*/*"):
        answer = public.get(path, HTTP_ACCEPT=accept)
        assert answer["Content-Type"].startswith("application/json")
        assert answer.json()["valid"] is True

    forged = public.get(path[:-2] + "xx", HTTP_ACCEPT=BROWSER_ACCEPT, HTTP_ACCEPT_LANGUAGE="id")
    assert forged.status_code == 404
    assert forged["Content-Type"].startswith("text/html")
    assert "tidak sah" in forged.content.decode()


def test_a_reference_longer_than_the_schema_allows_is_refused_even_with_whitespace(
    ptsp_client,
):
    """The schema's maxLength counts every character sent; so does the server, before
    it trims the surrounding whitespace."""
    response = check(ptsp_client, ref="\n" + "x" * 100)
    assert response.status_code == 400, response.content
    assert set(response.json()["fields"]) == {"application_ref"}
    assert check(ptsp_client, ref="x" * 100).status_code == 201
