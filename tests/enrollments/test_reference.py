import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from enrollments.models import ContributionRelief, IncomeLevel, Occupation

pytestmark = pytest.mark.django_db

REFERENCE = "/api/v1/reference"


def test_reference_has_what_the_offline_forms_need(client_a):
    response = client_a.get(REFERENCE)
    assert response.status_code == 200
    data = response.json()
    assert [p["code"] for p in data["programs"]] == ["JKK", "JKM", "JHT"]
    assert data["payment_periods"] == [1, 3, 6, 12]
    assert data["income_levels"][0] == {
        "amount": 1_000_000,
        "contribution": {
            "jkk": 10_000,
            "jkm": 6_800,
            "jht": 20_000,
            "monthly_total": 16_800,
            "monthly_total_with_jht": 36_800,
        },
    }
    assert {"code": "fisher", "name": "Nelayan", "name_en": "Fisher"} in data["occupations"]
    assert len(data["provinces"]) == 38
    assert {"code": "7471", "name": "Kota Kendari", "province_code": "74"} in data["regencies"]


def test_an_unchanged_reference_is_304_and_a_change_gives_a_new_etag(client_a, kendari):
    first = client_a.get(REFERENCE)
    etag = first["ETag"]
    again = client_a.get(REFERENCE, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""

    IncomeLevel.objects.create(amount=2_000_000, effective_from=kendari.local_today())
    changed = client_a.get(REFERENCE, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert [level["amount"] for level in changed.json()["income_levels"]] == [1_000_000, 2_000_000]


def test_only_versions_in_force_today_are_shown(client_a, kendari):
    today = kendari.local_today()
    Occupation.objects.create(
        code="retired-trade",
        name="Lama",
        name_en="Old",
        effective_from=datetime.date(2015, 1, 1),
        effective_to=today - datetime.timedelta(days=1),
    )
    ContributionRelief.objects.create(
        name="Relief now",
        applies_to_jkk=True,
        applies_to_jkm=True,
        pay_percent=Decimal("50"),
        effective_from=today,
    )
    data = client_a.get(REFERENCE).json()
    assert "retired-trade" not in {o["code"] for o in data["occupations"]}
    assert data["income_levels"][0]["contribution"]["monthly_total"] == 8_400


def test_overlapping_versions_are_refused_by_validation(kendari):
    level = IncomeLevel(amount=1_000_000, effective_from=datetime.date(2026, 1, 1))
    with translation.override("en"), pytest.raises(ValidationError, match="Another version"):
        level.full_clean()
    level.effective_from = datetime.date(2010, 1, 1)
    level.effective_to = datetime.date(2015, 6, 30)  # before the version in force
    level.full_clean()


def test_reference_needs_an_active_agent(api_client):
    assert api_client.get(REFERENCE).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "{etag}",
        "W/{etag}",
        '"other", W/{etag}',
        '"other",{etag}',
        "*",
    ],
)
def test_if_none_match_uses_the_weak_comparison(client_a, header):
    etag = client_a.get(REFERENCE)["ETag"]
    again = client_a.get(REFERENCE, HTTP_IF_NONE_MATCH=header.format(etag=etag))
    assert again.status_code == 304
    assert again["ETag"] == etag


@pytest.mark.parametrize("header", ['"other"', 'W/"other"', "", "garbage"])
def test_if_none_match_naming_another_tag_gives_the_answer(client_a, header):
    assert client_a.get(REFERENCE, HTTP_IF_NONE_MATCH=header).status_code == 200
