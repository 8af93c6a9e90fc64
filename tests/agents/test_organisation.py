import datetime
from unittest import mock

import pytest
from django.db import IntegrityError

from agents.models import Branch
from tests.agents.factories import BranchFactory

pytestmark = pytest.mark.django_db

# 16:30 UTC on 21 November: still the 21st in WIB, already the 22nd in WITA and WIT.
INSTANT = datetime.datetime(2026, 11, 21, 16, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("zone", "today"),
    [
        (Branch.TimeZone.WIB_JAKARTA, datetime.date(2026, 11, 21)),
        (Branch.TimeZone.WIB_PONTIANAK, datetime.date(2026, 11, 21)),
        (Branch.TimeZone.WITA, datetime.date(2026, 11, 22)),
        (Branch.TimeZone.WIT, datetime.date(2026, 11, 22)),
    ],
)
def test_a_branch_today_follows_its_time_zone(zone, today):
    branch = BranchFactory.create(time_zone=zone)
    with mock.patch("django.utils.timezone.now", return_value=INSTANT):
        assert branch.local_today() == today


def test_the_database_refuses_an_unknown_time_zone():
    with pytest.raises(IntegrityError, match="branch_time_zone_known"):
        BranchFactory.create(time_zone="Europe/Paris")


def test_branch_codes_are_unique():
    BranchFactory.create(code="KDI")
    with pytest.raises(IntegrityError):
        Branch.objects.create(
            code="KDI",
            name="Kendari 2",
            region=BranchFactory.create().region,
            regency_id="7471",
            time_zone=Branch.TimeZone.WITA,
        )
