"""The NIK never leaves the server whole: not in responses, not in logs."""

import logging

import pytest

from agents.models import StaffProfile
from tests.builders import PASSWORD, active_agent, new_nik, staff

pytestmark = pytest.mark.django_db


def test_no_log_record_carries_the_nik(kendari, api_client, client, caplog):
    nik = new_nik(9753)
    with caplog.at_level(logging.DEBUG):
        agent = active_agent(kendari, nik=nik, phone="081299887766")
        api_client.post(
            "/api/v1/auth/token", {"username": agent.code, "password": "wrong"}, format="json"
        )
        tokens = api_client.post(
            "/api/v1/auth/token", {"username": agent.code, "password": PASSWORD}, format="json"
        ).json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        me = api_client.get("/api/v1/agent/me")
        client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
        client.get("/admin/agents/agent/")
        client.get(f"/admin/agents/agent/{agent.pk}/change/")
        client.post(
            "/admin/agents/agent/add/",
            {"branch": kendari.pk, "full_name": "X", "nik": new_nik(9754), "phone": "bad"},
        )
    assert caplog.records, "the flow logs something, so the check means something"
    logged = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert nik not in logged
    assert new_nik(9754) not in logged
    assert nik not in me.content.decode()
