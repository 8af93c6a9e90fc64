"""A payment's receipt is stored with it in one shape and rendered by the API: a replay
answers as the first delivery did, including receipts stored in the earlier
single-payment shape, which a migration rewrites."""

import datetime
import importlib
import json

import pytest
import time_machine
from django.apps import apps

from enrollments import services
from enrollments.models import Payment
from partners.models import Partner, PartnerKind
from tests.builders import EXAMPLE, post

pytestmark = pytest.mark.django_db

WITA = datetime.timezone(datetime.timedelta(hours=8))
PAID_AT = datetime.datetime(2026, 11, 21, 10, 0, tzinfo=WITA)

receipts_migration = importlib.import_module(
    "enrollments.migrations.0011_payment_receipts_one_shape"
)


@pytest.fixture(autouse=True)
def _late_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=WITA)):
        yield


@pytest.fixture
def bank(db):
    return Partner.objects.create(code="BANK-X", name="Bank X", kind=PartnerKind.PAYMENT_CHANNEL)


def _pay(bank, code: str, *, ref: str = "REF-1", request_hash: str = "h1"):
    return services.payment_receive(
        channel=bank,
        channel_ref=ref,
        lines=[services.PaymentLineInput(code, 110_400, 3)],
        paid_at=PAID_AT,
        request_hash=request_hash,
    )


def test_the_stored_receipt_of_a_single_payment_has_the_sponsor_shape(client_a, bank):
    registered = post(client_a, EXAMPLE).json()
    _pay(bank, registered["payment_code"])
    stored = json.loads(Payment.objects.get().response_body)
    assert stored == {
        "channel_ref": "REF-1",
        "sponsor": None,
        "amount": 110_400,
        "lines": [
            {
                "payment_code": registered["payment_code"],
                "participant_number": registered["participant_number"],
                "status": "active",
                "paid_through": "2027-01-31",
                "covered_from": "2026-11-01",
                "covered_through": "2027-01-31",
            }
        ],
    }


def test_a_receipt_in_the_earlier_shape_is_rewritten_and_replays_the_same(client_a, bank):
    registered = post(client_a, EXAMPLE).json()
    first = _pay(bank, registered["payment_code"])
    payment = Payment.objects.get()
    payment.response_body = json.dumps(
        {
            "channel_ref": "REF-1",
            "participant_number": registered["participant_number"],
            "status": "active",
            "paid_through": "2027-01-31",
            "covered_from": "2026-11-01",
            "covered_through": "2027-01-31",
        }
    )
    payment.save(update_fields=["response_body"])

    receipts_migration.forward(apps, None)

    replay = _pay(bank, registered["payment_code"])
    assert replay.created is False
    assert (replay.channel_ref, replay.sponsor, replay.amount, replay.lines) == (
        first.channel_ref,
        first.sponsor,
        first.amount,
        first.lines,
    )

    receipts_migration.backward(apps, None)
    assert "lines" not in json.loads(Payment.objects.get().response_body)


def test_a_replay_answers_as_it_was_even_after_a_later_payment(client_a, bank):
    registered = post(client_a, EXAMPLE).json()
    first = _pay(bank, registered["payment_code"])
    _pay(bank, registered["payment_code"], ref="REF-2", request_hash="h2")
    replay = _pay(bank, registered["payment_code"])
    assert replay.line.paid_through == first.line.paid_through == datetime.date(2027, 1, 31)
