import datetime

import pytest
from django.core.management import call_command

from agents.models import Branch
from enrollments.models import Participant
from enrollments.services import participant_statuses_refresh
from enrollments.tasks import refresh_participant_statuses
from tests.agents.factories import BranchFactory
from tests.builders import active_agent, agent_client, body, post
from tests.core.factories import RegencyFactory

pytestmark = pytest.mark.django_db

d = datetime.date
# 16:30 UTC on 30 November: 23:30 in Jakarta (still November), 01:30 on 1 December in
# Jayapura. A participant paid through August lapses in Jayapura tonight, not in Jakarta.
BOUNDARY = datetime.datetime(2026, 11, 30, 16, 30, tzinfo=datetime.UTC)


@pytest.fixture
def two_zones(region):
    jakarta = BranchFactory.create(
        code="JKT",
        region=region,
        regency=RegencyFactory.create(code="3171", name="Jaksel"),
        time_zone=Branch.TimeZone.WIB_JAKARTA,
    )
    jayapura = BranchFactory.create(
        code="JAP",
        region=region,
        regency=RegencyFactory.create(code="9171", name="Kota Jayapura"),
        time_zone=Branch.TimeZone.WIT,
    )
    return jakarta, jayapura


def participant_in(branch: Branch, n: int, *, status: str, paid_through: datetime.date | None):
    client = agent_client(active_agent(branch))
    post(client, body(n, regency_code="7471"))
    participant = Participant.objects.get(registration__client_uuid=body(n)["client_uuid"])
    Participant.objects.filter(pk=participant.pk).update(status=status, paid_through=paid_through)
    return participant


def statuses() -> dict[str, str]:
    return {p.branch.code: p.status for p in Participant.objects.select_related("branch")}


def test_the_time_zone_decides_who_lapses_tonight(two_zones):
    jakarta, jayapura = two_zones
    participant_in(jakarta, 1, status="active", paid_through=d(2026, 8, 31))
    participant_in(jayapura, 2, status="active", paid_through=d(2026, 8, 31))
    result = participant_statuses_refresh(now=BOUNDARY)
    assert statuses() == {"JKT": "active", "JAP": "non_active"}
    assert (result.lapsed, result.restored) == (1, 0)
    participant_statuses_refresh(now=BOUNDARY + datetime.timedelta(hours=1))  # Jakarta's midnight
    assert statuses() == {"JKT": "non_active", "JAP": "non_active"}


def test_each_transition_and_idempotence(kendari):
    lapsing = participant_in(kendari, 1, status="active", paid_through=d(2026, 7, 31))
    restored = participant_in(kendari, 2, status="non_active", paid_through=d(2026, 12, 31))
    awaiting = participant_in(kendari, 3, status="awaiting_payment", paid_through=None)
    in_arrears = participant_in(kendari, 4, status="active", paid_through=d(2026, 9, 30))
    now = datetime.datetime(2026, 11, 22, 3, 0, tzinfo=datetime.UTC)

    first = participant_statuses_refresh(now=now)
    assert (first.lapsed, first.restored) == (1, 1)
    after = {p.pk: p.status for p in Participant.objects.all()}
    assert after == {
        lapsing.pk: "non_active",
        restored.pk: "active",
        awaiting.pk: "awaiting_payment",
        in_arrears.pk: "active",
    }
    second = participant_statuses_refresh(now=now)
    assert (second.lapsed, second.restored) == (0, 0)
    assert {p.pk: p.status for p in Participant.objects.all()} == after


def test_the_refresh_is_a_fixed_number_of_queries(kendari, django_assert_max_num_queries):
    for n in range(1, 30):
        participant_in(kendari, n, status="active", paid_through=d(2026, 1, 31))
    with django_assert_max_num_queries(6):  # the zones, then two UPDATEs per distinct day
        participant_statuses_refresh()
    assert set(Participant.objects.values_list("status", flat=True)) == {"non_active"}


def test_the_task_and_command_run_the_same_service(kendari):
    participant_in(kendari, 1, status="active", paid_through=d(2025, 1, 31))
    assert refresh_participant_statuses.apply().get() == {"lapsed": 1, "restored": 0}
    call_command("refresh_participant_statuses")
    assert Participant.objects.get().status == "non_active"
