import logging

import pytest
from django.test import Client

from agents.models import StaffProfile
from enrollments.models import Registration
from tests.builders import SYNC, active_agent, agent_client, body, post, staff

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_branch_staff_see_their_branch_participants_masked(kendari, manado, client_a):
    item = body(1)
    post(client_a, item)
    other = agent_client(active_agent(manado))
    post(other, body(2, full_name="Peserta Manado"))
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    html = client.get("/admin/enrollments/participant/").content.decode()
    assert "Wa Ode Sitti" in html
    assert "Peserta Manado" not in html
    assert item["nik"] not in html
    assert f"************{item['nik'][-4:]}" in html
    registrations = client.get("/admin/enrollments/registration/").content.decode()
    assert "Peserta Manado" not in registrations


def test_staff_find_a_participant_by_payment_code_or_number(kendari, client_a):
    post(client_a, body(1))
    registration = Registration.objects.select_related("participant").get()
    client = signed_in(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    for term in (registration.payment_code, registration.participant.participant_number):
        html = client.get("/admin/enrollments/participant/", {"q": term}).content.decode()
        assert registration.participant.participant_number in html
        detail = client.get(f"/admin/enrollments/participant/{registration.participant.pk}/change/")
        assert body(1)["nik"] not in detail.content.decode()


def test_staff_cannot_change_participants_in_the_admin(kendari, client_a):
    post(client_a, body(1))
    registration = Registration.objects.get()
    client = signed_in(staff("staf.pusat", StaffProfile.Level.HEAD_OFFICE))
    response = client.post(
        f"/admin/enrollments/participant/{registration.participant_id}/change/", {"full_name": "X"}
    )
    assert response.status_code == 403


def test_the_nik_is_in_no_log_line_response_or_error(client_a, caplog):
    good, bad = body(1), body(2, nik="7471013102900002")  # 31 February: invalid
    with caplog.at_level(logging.DEBUG):
        responses = [
            post(client_a, good),
            post(client_a, good),
            post(client_a, {**body(3), "nik": good["nik"]}),
            post(client_a, bad),
            client_a.post(SYNC, {"items": [good, bad, body(4)]}, format="json"),
        ]
    assert caplog.records
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for nik in (good["nik"], bad["nik"], body(4)["nik"]):
        assert nik not in logged
        for response in responses:
            assert nik not in response.content.decode()
