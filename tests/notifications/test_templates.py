import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from core.exceptions import InvalidInputError
from notifications import selectors, services
from notifications.models import MessageStatus, MessageTemplate, OutboundMessage, PhoneOptOut
from tests.notifications.conftest import WITA, local

pytestmark = pytest.mark.django_db
TODAY = local(WITA, 2026, 12, 3, 9)


@time_machine.travel(TODAY, tick=False)
def test_the_version_in_force_on_a_day_is_the_latest_begun(templates):
    later = services.message_template_create(
        kind="arrears_1", effective_from=datetime.date(2027, 1, 1), text="Tunggakan {amount}."
    )
    first = selectors.template_in_force(kind="arrears_1", on=datetime.date(2026, 12, 31))
    assert first is not None and first.effective_from == datetime.date(2020, 1, 1)
    assert selectors.template_in_force(kind="arrears_1", on=datetime.date(2027, 1, 1)) == later


@time_machine.travel(TODAY, tick=False)
def test_an_unknown_placeholder_is_refused_with_the_allowed_ones(templates):
    with pytest.raises(InvalidInputError) as refused:
        services.message_template_create(
            kind="receipt", effective_from=datetime.date(2027, 1, 1), text="Halo {nama}, {nik}"
        )
    (message,) = (refused.value.fields or {})["text"]
    assert "{nama}, {nik}" in message
    assert "{paid_through}" in message
    assert MessageTemplate.objects.filter(effective_from=datetime.date(2027, 1, 1)).count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_version_in_force_is_never_rewritten(templates):
    begun = MessageTemplate.objects.get(kind="welcome")
    with pytest.raises(InvalidInputError):
        services.message_template_update(template=begun, text="Halo {name}")
    with pytest.raises(InvalidInputError):
        services.message_template_delete(template=begun)
    future = services.message_template_create(
        kind="welcome", effective_from=datetime.date(2027, 1, 1), text="Halo {name}"
    )
    services.message_template_update(template=future, text="Selamat datang {name}")
    assert MessageTemplate.objects.get(pk=future.pk).text == "Selamat datang {name}"
    with pytest.raises(InvalidInputError) as past:
        services.message_template_create(
            kind="welcome", effective_from=datetime.date(2026, 12, 1), text="Halo {name}"
        )
    assert list(past.value.fields or {}) == ["effective_from"]
    with pytest.raises(InvalidInputError) as twice:
        services.message_template_create(
            kind="welcome", effective_from=datetime.date(2027, 1, 1), text="Hai {name}"
        )
    assert list(twice.value.fields or {}) == ["effective_from"]


def test_every_kind_has_an_indonesian_text_seeded(templates):
    kinds = set(MessageTemplate.objects.values_list("kind", flat=True))
    assert kinds == {"welcome", "receipt", "reminder_due", "arrears_1", "arrears_2", "lapse_notice"}


@pytest.fixture
def head_office_client(client, db):
    user = get_user_model().objects.create_superuser("kantor.pusat", password="x-Sandi-2026!")
    client.force_login(user)
    return client


@time_machine.travel(TODAY, tick=True)
def test_the_admin_shows_an_unknown_placeholder_at_the_text(head_office_client, templates):
    response = head_office_client.post(
        "/admin/notifications/messagetemplate/add/",
        {"kind": "receipt", "effective_from": "2027-01-01", "text": "Halo {nama}"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "{nama}" in response.content.decode()
    assert not MessageTemplate.objects.filter(effective_from=datetime.date(2027, 1, 1)).exists()
    response = head_office_client.post(
        "/admin/notifications/messagetemplate/add/",
        {"kind": "receipt", "effective_from": "2027-01-01", "text": "Diterima {amount}, {name}."},
    )
    assert response.status_code == 302
    assert MessageTemplate.objects.get(effective_from=datetime.date(2027, 1, 1)).text.startswith(
        "Diterima"
    )


def test_the_outbox_list_never_shows_a_full_phone(head_office_client, templates):
    with time_machine.travel(TODAY, tick=False):
        services.message_enqueue(
            phone="081234567890", time_zone=WITA, kind="manual", dedupe_key="m:1", text="Halo"
        )
    page = head_office_client.get("/admin/notifications/outboundmessage/").content.decode()
    assert "+62812****890" in page
    assert "1234567890" not in page
    found = head_office_client.get("/admin/notifications/outboundmessage/?q=7890").content.decode()
    assert "+62812****890" in found


def test_staff_add_and_remove_an_opt_out_in_the_admin(head_office_client):
    response = head_office_client.post(
        "/admin/notifications/phoneoptout/add/", {"phone": "0812 3456 7890"}
    )
    assert response.status_code == 302
    opt_out = PhoneOptOut.objects.get()
    assert (opt_out.phone, opt_out.source) == ("+6281234567890", "admin")
    response = head_office_client.post(
        f"/admin/notifications/phoneoptout/{opt_out.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PhoneOptOut.objects.exists()


def test_staff_retry_a_failed_message_and_cancel_a_queued_one(head_office_client):
    with time_machine.travel(TODAY, tick=False):
        failed = services.message_enqueue(
            phone="081234567890", time_zone=WITA, kind="manual", dedupe_key="m:1", text="Halo"
        ).message
        queued = services.message_enqueue(
            phone="081234567891", time_zone=WITA, kind="manual", dedupe_key="m:2", text="Halo"
        ).message
    OutboundMessage.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, attempts=8, last_error="HTTP 500"
    )
    changelist = "/admin/notifications/outboundmessage/"
    page = head_office_client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "HTTP 500" in page
    head_office_client.post(
        changelist, {"action": "retry_now", "_selected_action": [str(failed.pk), str(queued.pk)]}
    )
    head_office_client.post(changelist, {"action": "cancel", "_selected_action": [str(queued.pk)]})
    failed.refresh_from_db()
    queued.refresh_from_db()
    assert (failed.status, failed.attempts) == (MessageStatus.QUEUED, 0)
    assert (queued.status, queued.cancel_reason) == (MessageStatus.CANCELLED, "by_staff")
