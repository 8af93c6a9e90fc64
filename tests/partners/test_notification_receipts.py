"""POST /api/v1/partner/notifications/receipts: the message gateway's delivery receipts
and the workers' replies, signed like payments."""

import time
import uuid

import pytest
import time_machine

from notifications import services
from notifications.models import MessageStatus, OutboundMessage, PhoneOptOut
from partners.models import Partner, PartnerKind, RefusedRequest
from partners.services import partner_key_create, signing_secret_create
from tests.notifications.conftest import WITA, local
from tests.notifications.gateway import RECEIPTS, GatewayPartner, signed_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway_partner(db):
    return GatewayPartner()


@pytest.fixture
def sent(provider_accepting):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=True):
        message = services.message_enqueue(
            phone="081234567890", time_zone=WITA, kind="manual", dedupe_key="m:1", text="Halo"
        ).message
        services.message_send(message_id=message.pk)
    return OutboundMessage.objects.get(pk=message.pk)


@pytest.fixture
def provider_accepting(settings):
    settings.NOTIFICATIONS_PROVIDER = "console"


def test_a_delivery_receipt_marks_the_message_delivered_once(gateway_partner, sent):
    first = gateway_partner.receipt(str(sent.pk))
    assert first.status_code == 200
    assert first.json() == {
        "type": "receipt",
        "message_id": str(sent.pk),
        "status": "delivered",
        "changed": True,
    }
    delivered_at = OutboundMessage.objects.get(pk=sent.pk).delivered_at
    again = gateway_partner.receipt(str(sent.pk))
    assert again.json()["changed"] is False
    late_failure = gateway_partner.receipt(str(sent.pk), status="failed")
    assert late_failure.json() == {**first.json(), "changed": False}
    row = OutboundMessage.objects.get(pk=sent.pk)
    assert (row.status, row.delivered_at) == (MessageStatus.DELIVERED, delivered_at)


def test_a_failure_receipt_leaves_the_message_failed_and_visible(gateway_partner, sent):
    answer = gateway_partner.post(
        {"type": "receipt", "message_id": str(sent.pk), "status": "failed", "error": "absent"}
    )
    assert answer.json()["status"] == "failed"
    row = OutboundMessage.objects.get(pk=sent.pk)
    assert (row.status, row.last_error) == (MessageStatus.FAILED, "gateway: absent")


def test_a_receipt_for_an_unknown_id_is_refused(gateway_partner):
    answer = gateway_partner.receipt(str(uuid.uuid4()), HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 404
    assert answer.json() == {
        "code": "unknown_message",
        "message": "No message with this id was sent.",
    }


def test_a_bad_signature_is_401_and_changes_nothing(gateway_partner, sent):
    answer = gateway_partner.receipt(str(sent.pk), secret="not-the-secret")
    assert answer.status_code == 401
    assert answer.json()["code"] == "bad_signature"
    assert OutboundMessage.objects.get(pk=sent.pk).status == MessageStatus.SENT
    stop = gateway_partner.post(
        {"type": "reply", "from": "081234567890", "text": "STOP"}, secret="wrong"
    )
    assert stop.status_code == 401
    assert not PhoneOptOut.objects.exists()
    assert RefusedRequest.objects.filter(code="bad_signature").count() == 2


def test_a_stale_signature_is_401(gateway_partner, sent):
    answer = gateway_partner.post(
        {"type": "receipt", "message_id": str(sent.pk), "status": "delivered"},
        t=int(time.time()) - 3600,
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "stale_signature"
    assert OutboundMessage.objects.get(pk=sent.pk).status == MessageStatus.SENT


def test_a_payment_channel_cannot_report_deliveries(sent):
    bank = Partner.objects.create(code="BANK-X", name="Bank", kind=PartnerKind.PAYMENT_CHANNEL)
    key = partner_key_create(partner=bank)[1]
    secret = signing_secret_create(partner=bank)[1]
    answer = signed_post(
        RECEIPTS,
        {"type": "receipt", "message_id": str(sent.pk), "status": "delivered"},
        key=key,
        secret=secret,
    )
    assert answer.status_code == 403
    assert OutboundMessage.objects.get(pk=sent.pk).status == MessageStatus.SENT


def test_the_gateway_cannot_report_payments(gateway_partner):
    answer = gateway_partner.post({}, path="/api/v1/partner/payments")
    assert answer.status_code == 403


@pytest.mark.parametrize("text", ["BERHENTI", " stop ", "Berhenti\n"])
def test_a_stop_reply_opts_the_phone_out(gateway_partner, text):
    answer = gateway_partner.post({"type": "reply", "from": "6281234567890", "text": text})
    assert answer.json() == {"type": "reply", "opted_out": True}
    assert PhoneOptOut.objects.get().phone == "+6281234567890"
    assert PhoneOptOut.objects.get().source == "reply"
    again = gateway_partner.post({"type": "reply", "from": "081234567890", "text": "STOP"})
    assert again.json()["opted_out"] is True
    assert PhoneOptOut.objects.count() == 1


def test_another_reply_changes_nothing(gateway_partner):
    answer = gateway_partner.post({"type": "reply", "from": "081234567890", "text": "terima kasih"})
    assert answer.json() == {"type": "reply", "opted_out": False}
    assert not PhoneOptOut.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "bounce"}, "type"),
        ([], "type"),
        # Found by contract fuzzing: a type that is not a string was a 500.
        ({"type": {}, "from": "+6281000000", "text": ""}, "type"),
        ({"type": ["reply"], "from": "081234567890", "text": "STOP"}, "type"),
        ({"type": None}, "type"),
        ({"type": "receipt", "message_id": "12", "status": "delivered"}, "message_id"),
        ({"type": "receipt", "message_id": str(uuid.UUID(int=1)), "status": "read"}, "status"),
        ({"type": "reply", "from": "12345", "text": "STOP"}, "from"),
        ({"type": "reply", "from": 6281234567890, "text": "STOP"}, "from"),
    ],
)
def test_a_malformed_body_is_400_with_the_field(gateway_partner, payload, field):
    answer = gateway_partner.post(payload)
    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error"
    assert field in answer.json()["fields"]
