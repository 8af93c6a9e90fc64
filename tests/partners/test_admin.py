import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agents.models import StaffProfile
from core.models import Regency
from partners import services
from partners.models import Company, Partner, PartnerApiKey, PartnerKind, PermitCheck
from tests.builders import staff
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


@pytest.fixture
def scoped_world(regencies, kendari, manado, palangka, ptsp):
    """Companies in Kendari (with a branch), Konawe (no branch of its own, province 74)
    and Manado, with a permit check on each and one on an NIB that matched nothing."""
    companies = {
        "kdi": company("9120001234567", regency="7471", name="CV Kendari"),
        "konawe": company("9120001234568", regency="7402", name="CV Konawe"),
        "mdo": company("9120001234569", regency="7171", name="PT Manado Rahasia"),
    }
    Company.objects.filter(pk=companies["mdo"].pk).update(npwp="0987654321098000")
    manado_office = Partner.objects.create(
        code="PTSP-7171", name="DPMPTSP Kota Manado", kind=PartnerKind.PTSP
    )
    manado_office.jurisdiction_regencies.add(Regency.objects.get(code="7171"))
    konawe_office = Partner.objects.create(
        code="PTSP-7402", name="DPMPTSP Konawe", kind=PartnerKind.PTSP
    )
    konawe_office.jurisdiction_regencies.add(Regency.objects.get(code="7402"))
    checks = {}
    for name, office, nib in [
        ("kdi", ptsp, "9120001234567"),
        ("konawe", konawe_office, "9120001234568"),
        ("mdo", manado_office, "9120001234569"),
        ("unknown_mdo", manado_office, "9120009999999"),
        ("unknown_kdi", ptsp, "9120008888888"),
    ]:
        client = api_key_client(services.partner_key_create(partner=office, label="t")[1])
        body = {"nib": nib, "permit_type": "x", "application_ref": f"APP-{name}"}
        assert client.post(CHECKS, body, format="json").status_code == 201
        checks[name] = PermitCheck.objects.get(application_ref=f"APP-{name}")
    return {"companies": companies, "checks": checks}


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "companies_seen"),
    [
        ("kdi", {"kdi", "konawe"}),
        ("mdo", {"mdo"}),
        ("sulama", {"kdi", "konawe", "mdo"}),
        ("kalimantan", set()),
        ("head_office", {"kdi", "konawe", "mdo"}),
    ],
)
def test_companies_and_permit_checks_are_scoped_in_the_admin(
    scoped_world, kendari, manado, palangka, who, companies_seen
):
    users = {
        "kdi": lambda: staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari),
        "mdo": lambda: staff("staf.mdo", StaffProfile.Level.BRANCH, branch=manado),
        "sulama": lambda: staff("staf.sulama", StaffProfile.Level.REGION, region=kendari.region),
        "kalimantan": lambda: staff("staf.kal", StaffProfile.Level.REGION, region=palangka.region),
        "head_office": lambda: staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE),
    }
    client = _signed_in(users[who]())
    companies, checks = scoped_world["companies"], scoped_world["checks"]
    checks_seen = companies_seen | {
        f"unknown_{name}" for name in ("kdi", "mdo") if name in companies_seen
    }

    listing = client.get("/admin/partners/company/")
    assert listing.status_code == 200
    html = listing.content.decode()
    for name, obj in companies.items():
        assert (obj.nib in html) == (name in companies_seen), name
        page = client.get(f"/admin/partners/company/{obj.pk}/change/")
        # 302 to the index is the admin's answer to "no such object".
        assert page.status_code == (200 if name in companies_seen else 302), name
        if name == "mdo" and name in companies_seen:
            assert "0987654321098000" in page.content.decode()  # the NPWP, when in scope

    listing = client.get("/admin/partners/permitcheck/")
    html = listing.content.decode()
    for name, check in checks.items():
        assert (check.reference in html) == (name in checks_seen), name
        page = client.get(f"/admin/partners/permitcheck/{check.pk}/change/")
        assert page.status_code == (200 if name in checks_seen else 302), name

    export = client.post(
        "/admin/partners/permitcheck/",
        {"action": "export_csv", "_selected_action": [c.pk for c in checks.values()]},
    )
    exported = (
        {row["reference"] for row in csv.DictReader(io.StringIO(export.content.decode()))}
        if export.get("Content-Type", "").startswith("text/csv")
        else set()
    )
    assert exported == {checks[name].reference for name in checks_seen}


def test_company_regency_choices_are_scoped(scoped_world, kendari, head_office):
    # Head office chooses among every regency, with a search box.
    assert "admin-autocomplete" in head_office.get("/admin/partners/company/add/").content.decode()
    user = staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["add_company", "change_company"])
    )
    client = _signed_in(user)
    form = client.get("/admin/partners/company/add/").content.decode()
    assert "admin-autocomplete" not in form
    assert "Kota Kendari" in form
    assert "Kota Manado" not in form
    body = {
        "nib": "9120001230000",
        "npwp": "",
        "name": "CV Pindahan",
        "regency": "7171",
        "npp": "",
        "reported_workforce": 1,
        "enrolled_active": 0,
        "arrears_months": 0,
    }
    refused = client.post("/admin/partners/company/add/", body)
    assert refused.status_code == 200  # the form again, with the error
    assert not Company.objects.filter(nib="9120001230000").exists()
    accepted = client.post("/admin/partners/company/add/", {**body, "regency": "7402"})
    assert accepted.status_code == 302
    assert Company.objects.get(nib="9120001230000").regency_id == "7402"
