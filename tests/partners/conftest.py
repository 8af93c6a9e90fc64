import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import Province, Regency
from partners import services
from partners.models import Company, Partner, PartnerKind

CHECKS = "/api/v1/partner/permit-checks"


def api_key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def company(
    nib: str,
    *,
    regency: str = "7471",
    npp: str = "NPP1",
    reported: int = 10,
    enrolled: int = 10,
    arrears: int = 0,
    name: str = "CV Uji",
) -> Company:
    return Company.objects.create(
        nib=nib,
        name=name,
        regency_id=regency,
        npp=npp,
        reported_workforce=reported,
        enrolled_active=enrolled,
        arrears_months=arrears,
        source="test",
        source_updated_at=timezone.now(),
    )


@pytest.fixture
def regencies(db):
    Regency.objects.get_or_create(
        code="7471", defaults={"name": "Kota Kendari", "province_id": "74"}
    )
    Regency.objects.get_or_create(
        code="7402", defaults={"name": "Kabupaten Konawe", "province_id": "74"}
    )
    Regency.objects.get_or_create(
        code="7171", defaults={"name": "Kota Manado", "province_id": "71"}
    )


@pytest.fixture
def ptsp(regencies):
    partner = Partner.objects.create(
        code="PTSP-7471", name="DPMPTSP Kota Kendari", kind=PartnerKind.PTSP
    )
    partner.jurisdiction_regencies.add(Regency.objects.get(code="7471"))
    return partner


@pytest.fixture
def province_office(regencies):
    partner = Partner.objects.create(code="PTSP-74", name="DPMPTSP Sultra", kind=PartnerKind.PTSP)
    partner.jurisdiction_provinces.add(Province.objects.get(code="74"))
    return partner


@pytest.fixture
def bank(db):
    return Partner.objects.create(
        code="BANK-DEMO", name="Bank Demo", kind=PartnerKind.PAYMENT_CHANNEL
    )


@pytest.fixture
def ptsp_key(ptsp):
    return services.partner_key_create(partner=ptsp, label="test")[1]


@pytest.fixture
def ptsp_client(ptsp_key):
    return api_key_client(ptsp_key)
