import pytest
from django.core.exceptions import ValidationError

from core.models import Province, Regency

pytestmark = pytest.mark.django_db


def test_the_38_provinces_are_loaded_by_migration():
    assert Province.objects.count() == 38
    assert Province.objects.get(code="74").name == "Sulawesi Tenggara"
    assert Province.objects.get(code="96").name == "Papua Barat Daya"


def test_regency_kind_follows_its_code():
    assert Regency(code="7471").kind == Regency.Kind.KOTA
    assert Regency(code="7402").kind == Regency.Kind.KABUPATEN


def test_regency_code_must_start_with_its_province():
    regency = Regency(code="7371", name="Kota Makassar", province_id="74")
    with pytest.raises(ValidationError) as raised:
        regency.full_clean()
    assert raised.value.error_dict["code"][0].code == "regency_province_mismatch"


def test_provinces_list(staff_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = staff_client.get("/api/v1/provinces")
    assert response.status_code == 200
    assert len(response.json()) == 38
    assert response.json()[0] == {"code": "11", "name": "Aceh"}


def test_province_detail_counts_its_regencies(staff_client):
    Regency.objects.create(code="7471", name="Kota Kendari", province_id="74")
    Regency.objects.create(code="7402", name="Kabupaten Konawe", province_id="74")
    response = staff_client.get("/api/v1/provinces/74")
    assert response.json() == {"code": "74", "name": "Sulawesi Tenggara", "regency_count": 2}


def test_regencies_filter_by_province(staff_client, django_assert_num_queries):
    Regency.objects.create(code="7471", name="Kota Kendari", province_id="74")
    Regency.objects.create(code="7171", name="Kota Manado", province_id="71")
    with django_assert_num_queries(1):
        response = staff_client.get("/api/v1/regencies", {"province": "74"})
    assert response.status_code == 200
    assert response.json() == [
        {"code": "7471", "name": "Kota Kendari", "province_code": "74", "kind": "kota"}
    ]


def test_regencies_list_query_count_does_not_grow(staff_client, django_assert_num_queries):
    Regency.objects.bulk_create(
        Regency(code=f"74{n:02d}", name=f"Kabupaten {n}", province_id="74") for n in range(1, 30)
    )
    with django_assert_num_queries(1):
        response = staff_client.get("/api/v1/regencies")
    assert len(response.json()) == 29
