import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agents.models import StaffProfile
from partners.models import Company, PartnerApiKey, PermitCheck
from tests.agents.conftest import staff
from tests.partners.conftest import CHECKS, api_key_client, company
from tests.partners.test_companies_import import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_office(db):
    client = Client()
    client.force_login(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    return client


def test_a_new_key_is_shown_once_and_works(head_office, ptsp):
    page = head_office.get(f"/admin/partners/partner/{ptsp.pk}/new-key/")
    assert page.status_code == 200
    assert not PartnerApiKey.objects.exists()  # GET only asks
    response = head_office.post(f"/admin/partners/partner/{ptsp.pk}/new-key/", {"label": "prod"})
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    raw = html.split("Api-Key ", 1)[1].split("<", 1)[0].strip()
    company("9120001234567")
    created = api_key_client(raw).post(
        CHECKS, {"nib": "9120001234567", "permit_type": "x", "application_ref": "A"}, format="json"
    )
    assert created.status_code == 201
    key = PartnerApiKey.objects.get()
    assert (
        raw.split(".")[1]
        not in head_office.get(f"/admin/partners/partner/{ptsp.pk}/change/").content.decode()
    )
    assert key.label == "prod"


def test_keys_are_revoked_with_an_action(head_office, ptsp, ptsp_key):
    key = PartnerApiKey.objects.get()
    head_office.post(
        "/admin/partners/partnerapikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_a_signing_secret_only_for_payment_channels(head_office, ptsp, bank):
    assert (
        head_office.post(f"/admin/partners/partner/{ptsp.pk}/new-signing-secret/").status_code
        == 404
    )
    response = head_office.post(
        f"/admin/partners/partner/{bank.pk}/new-signing-secret/", {"label": "2026"}
    )
    assert response.status_code == 200
    assert bank.signing_secrets.count() == 1


def test_companies_import_in_the_admin(head_office, regencies):
    upload = SimpleUploadedFile("companies.csv", GOOD.encode(), content_type="text/csv")
    response = head_office.post("/admin/partners/company/import/", {"file": upload})
    assert response.status_code == 200
    assert Company.objects.count() == 2
    bad = SimpleUploadedFile("bad.csv", b"nib,name\n1,2\n", content_type="text/csv")
    response = head_office.post("/admin/partners/company/import/", {"file": bad})
    assert Company.objects.count() == 2
    assert "errorlist" in response.content.decode()


def test_the_permit_check_log_filters_and_exports(head_office, ptsp_client):
    company("9120001234567")
    ptsp_client.post(
        CHECKS, {"nib": "9120001234567", "permit_type": "x", "application_ref": "A"}, format="json"
    )
    listing = head_office.get("/admin/partners/permitcheck/", {"decision__exact": "eligible"})
    assert "9120001234567" in listing.content.decode()
    check = PermitCheck.objects.get()
    export = head_office.post(
        "/admin/partners/permitcheck/", {"action": "export_csv", "_selected_action": [check.pk]}
    )
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert rows[0]["reference"] == check.reference
    assert rows[0]["office"] == "PTSP-7471"


def test_branch_staff_cannot_make_keys(ptsp, kendari):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    response = client.post(f"/admin/partners/partner/{ptsp.pk}/new-key/")
    assert response.status_code == 302
    assert not PartnerApiKey.objects.exists()
