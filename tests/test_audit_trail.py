"""The audit trail is written by database triggers: bulk and set-based writes are
recorded as well as single saves, each with who and through which channel."""

import datetime
import html
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.http import HttpResponse
from django.test import RequestFactory

from agents.models import Agent
from core.audit import AuditContextMiddleware
from enrollments.models import Participant, Registration
from fees.models import FeeLine, FeeStatement
from fees.tasks import recompute_branch
from partners.models import PartnerApiKey
from tests.builders import EXAMPLE, active_agent, iso, pay, post, register

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def event_model(model: type[Model]) -> Any:
    """The event model the triggers write to for ``model``."""
    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def test_a_bulk_recompute_records_every_statement_it_opens_as_a_task(
    kendari, channel, no_auto_recompute
):
    agent = active_agent(kendari)
    for n in (1, 2, 3):
        pay(channel, register(agent, n), months=3, at=iso(datetime.date(2026, 10, 5 + n)))
    recompute_branch.apply(args=(kendari.pk, "2026-10"))  # the task, run here
    assert FeeLine.objects.count() >= 3
    statements = FeeStatement.objects.all()
    assert statements.exists()
    events = event_model(FeeStatement).objects.filter(pgh_label="insert")
    assert set(events.values_list("pgh_obj_id", flat=True)) == set(
        statements.values_list("pk", flat=True)
    )
    contexts = {
        event.pgh_context.metadata["channel"] for event in events.select_related("pgh_context")
    }
    assert contexts == {"task"}
    assert {event.pgh_context.metadata["task"] for event in events} == {"fees.recompute_branch"}


def test_set_based_updates_are_recorded_too(kendari, channel, no_auto_recompute):
    agent = active_agent(kendari)
    register(agent, 1)
    register(agent, 2)
    Participant.objects.update(status="active")  # no save(), no signals
    updates = event_model(Participant).objects.filter(pgh_label="update")
    assert updates.count() == 2
    assert set(updates.values_list("status", flat=True)) == {"active"}
    assert updates.first().pgh_context is None  # outside any request or task


def test_an_api_registration_records_the_agent_and_the_channel(client_a, agent_a):
    assert post(client_a, EXAMPLE).status_code == 201
    event = event_model(Registration).objects.select_related("pgh_context").get(pgh_label="insert")
    assert event.pgh_context.metadata["channel"] == "api"
    assert event.pgh_context.metadata["user"] == agent_a.user_id
    assert event.pgh_context.metadata["url"] == "/api/v1/agent/registrations"


def test_a_change_made_in_the_admin_records_the_staff_member(kendari, staff_user):
    agent = active_agent(kendari, full_name="Agen Lama")

    def view(request):
        Agent.objects.filter(pk=agent.pk).update(full_name="Agen Baru")
        return HttpResponse("ok")

    request = RequestFactory().post(f"/admin/agents/agent/{agent.pk}/change/")
    request.user = staff_user
    assert AuditContextMiddleware(view)(request).status_code == 200
    event = (
        event_model(Agent)
        .objects.select_related("pgh_context")
        .filter(pgh_obj_id=agent.pk, pgh_label="update")
        .latest("pgh_id")
    )
    assert event.full_name == "Agen Baru"
    assert event.pgh_context.metadata == {
        "channel": "admin",
        "user": staff_user.pk,
        "url": f"/admin/agents/agent/{agent.pk}/change/",
    }


def test_api_key_events_never_copy_the_secret_hash():
    field_names = {field.name for field in event_model(PartnerApiKey)._meta.get_fields()}
    assert "secret_hash" not in field_names
    assert "prefix" in field_names


def test_head_office_reads_the_trail_in_the_admin_and_branch_staff_cannot(
    admin_client, client, kendari, staff_user
):
    active_agent(kendari, full_name="Agen Jejak")
    response = admin_client.get("/admin/pghistory/events/")
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "agents.Agent" in page
    assert '"status": ["applicant", "active"]' in page  # the activation, as a diff
    staff_user.is_staff = True
    staff_user.save()
    client.force_login(staff_user)
    assert client.get("/admin/pghistory/events/").status_code == 403
