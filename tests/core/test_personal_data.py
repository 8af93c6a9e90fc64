import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from agents.models import StaffProfile
from core.models import PersonalDataLookup
from tests.builders import EXAMPLE, active_agent, agent_client, new_nik, post, staff

pytestmark = pytest.mark.django_db

URL = "/admin/core/personaldatalookup/lookup/"


@pytest.fixture
def privileged(db):
    user = staff("staf.pdp", StaffProfile.Level.HEAD_OFFICE)
    user.user_permissions.add(Permission.objects.get(codename="lookup_personal_data"))
    client = Client()
    client.force_login(user)
    return client, user


def test_a_privileged_look_up_exports_everything_and_is_logged(privileged, kendari):
    client, user = privileged
    agent = active_agent(kendari)
    post(agent_client(agent), EXAMPLE)
    response = client.post(
        URL, {"nik": EXAMPLE["nik"], "reason": "Permintaan subjek data #12", "export": "1"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    (participant,) = data["participants"]
    assert participant["nik"] == EXAMPLE["nik"]
    assert participant["full_name"] == "Wa Ode Sitti"
    assert participant["registration"]["registered_by"] == agent.code
    assert data["agents"] == []
    lookup = PersonalDataLookup.objects.get()
    assert (lookup.user, lookup.records_found, lookup.exported) == (user, 1, True)
    assert str(EXAMPLE["nik"]) not in lookup.nik_digest


def test_an_agent_is_found_too(privileged, kendari):
    client, _user = privileged
    nik = new_nik(4321)
    active_agent(kendari, nik=nik)
    page = client.post(URL, {"nik": nik, "reason": "Audit", "show": "1"})
    assert nik in page.content.decode()  # shown to the privileged user, on request
    assert PersonalDataLookup.objects.get().exported is False


def test_staff_without_the_privilege_cannot_look_up(kendari):
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    assert client.post(URL, {"nik": EXAMPLE["nik"], "reason": "x"}).status_code == 403
    assert not PersonalDataLookup.objects.exists()
