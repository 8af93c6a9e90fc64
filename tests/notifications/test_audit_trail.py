"""Who changed a message template, and how a phone opted out and back in, are kept in
the audit trail (core/audit.py) with the channel and the person; the outbox is not."""

import datetime
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.utils import timezone

from notifications.models import MessageTemplate, OutboundMessage, PhoneOptOut
from tests.notifications.gateway import RECEIPTS, GatewayPartner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TEMPLATES = "/admin/notifications/messagetemplate/"
OPT_OUTS = "/admin/notifications/phoneoptout/"


def events(model: type[Model], label: str) -> Any:
    event_model = apps.get_model(model._meta.app_label, f"{model.__name__}Event")
    return event_model.objects.select_related("pgh_context").filter(pgh_label=label)


def test_a_template_added_and_corrected_in_the_admin_records_the_staff_member(admin_client):
    admin = admin_client.get(TEMPLATES).wsgi_request.user
    starts = timezone.localdate() + datetime.timedelta(days=30)
    added = admin_client.post(
        f"{TEMPLATES}add/",
        {"kind": "welcome", "effective_from": starts.isoformat(), "text": "Selamat datang."},
    )
    assert added.status_code == 302, added.content[:500]
    template = MessageTemplate.objects.get(kind="welcome", effective_from=starts)
    corrected = admin_client.post(
        f"{TEMPLATES}{template.pk}/change/", {"text": "Selamat bergabung, {participant_number}."}
    )
    assert corrected.status_code == 302, corrected.content[:500]

    (insert,) = events(MessageTemplate, "insert").filter(pgh_obj_id=template.pk)
    (update,) = events(MessageTemplate, "update").filter(pgh_obj_id=template.pk)
    assert (insert.text, update.text) == (
        "Selamat datang.",
        "Selamat bergabung, {participant_number}.",
    )
    assert insert.pgh_context.metadata == {
        "channel": "admin",
        "user": admin.pk,
        "url": f"{TEMPLATES}add/",
    }
    assert update.pgh_context.metadata == {
        "channel": "admin",
        "user": admin.pk,
        "url": f"{TEMPLATES}{template.pk}/change/",
    }


def test_an_opt_out_by_reply_is_recorded_as_the_gateways_call():
    gateway = GatewayPartner()
    answer = gateway.post({"type": "reply", "from": "081234567890", "text": "BERHENTI"})
    assert answer.json() == {"type": "reply", "opted_out": True}

    (event,) = events(PhoneOptOut, "insert")
    assert (event.phone, event.source, event.created_by_id) == ("+6281234567890", "reply", None)
    # The gateway is a partner, not a Django user: the call is known by its channel and URL.
    assert event.pgh_context.metadata == {"channel": "api", "user": None, "url": RECEIPTS}


def test_an_opt_out_and_its_removal_in_the_admin_record_the_staff_member(admin_client):
    admin = admin_client.get(OPT_OUTS).wsgi_request.user
    assert admin_client.post(f"{OPT_OUTS}add/", {"phone": "081234567890"}).status_code == 302
    opt_out = PhoneOptOut.objects.get()
    removed = admin_client.post(f"{OPT_OUTS}{opt_out.pk}/delete/", {"post": "yes"})
    assert removed.status_code == 302
    assert not PhoneOptOut.objects.exists()

    (insert,) = events(PhoneOptOut, "insert")
    (delete,) = events(PhoneOptOut, "delete")
    assert (insert.source, insert.created_by_id) == ("admin", admin.pk)
    assert delete.pgh_obj_id == insert.pgh_obj_id == opt_out.pk
    assert delete.pgh_context.metadata == {
        "channel": "admin",
        "user": admin.pk,
        "url": f"{OPT_OUTS}{opt_out.pk}/delete/",
    }


def test_the_outbox_is_not_copied_into_the_trail():
    with pytest.raises(LookupError):
        apps.get_model("notifications", f"{OutboundMessage.__name__}Event")
