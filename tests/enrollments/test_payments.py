import datetime
import json
import time
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from enrollments.models import (
    ContributionRelief,
    Participant,
    Payment,
    PaymentLine,
    Registration,
    Sponsor,
)
from enrollments.services import sponsorship_create
from partners import services as partner_services
from partners.models import Partner, PartnerKind, RefusedRequest
from partners.signatures import signature_header
from tests.builders import EXAMPLE, PAYMENTS, REGISTRATIONS, ChannelClient, agent_client, body, post
from tests.races import race

pytestmark = pytest.mark.django_db

WITA = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _late_november_2026():
    """The examples' dates (captured on 20 November 2026, paid on the 21st) are read
    against a clock a few days later, whatever day the suite runs: the statuses and
    arrears they lead to are then always the same."""
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=WITA)):
        yield


@pytest.fixture
def channel_client(db):
    return ChannelClient()


@pytest.fixture
def registered(client_a):
    return post(client_a, EXAMPLE).json()  # Rp36,800 a month, Kendari (WITA)


def stored_nothing(before_lines: int = 0) -> bool:
    return Payment.objects.count() == 0 and PaymentLine.objects.count() == before_lines


def test_a_payment_activates_the_worker_and_sets_paid_through(channel_client, registered, client_a):
    response = channel_client.pay(registered["payment_code"], 110_400, 3, ref="BNI-000123")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "channel_ref": "BNI-000123",
        "participant_number": registered["participant_number"],
        "status": "active",
        "paid_through": "2027-01-31",
        "covered_from": "2026-11-01",
        "covered_through": "2027-01-31",
    }
    seen = client_a.get(f"{REGISTRATIONS}/{registered['id']}").json()
    assert (seen["status"], seen["paid_through"], seen["arrears_months"]) == (
        "active",
        "2027-01-31",
        0,
    )


def test_the_same_ref_and_body_replays_and_another_body_conflicts(channel_client, registered):
    first = channel_client.pay(registered["payment_code"], 110_400, 3, ref="BNI-1")
    again = channel_client.pay(registered["payment_code"], 110_400, 3, ref="BNI-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = channel_client.pay(
        registered["payment_code"], 36_800, 1, ref="BNI-1", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert other.status_code == 409
    assert other.json()["code"] == "channel_ref_conflict"
    assert PaymentLine.objects.count() == 1


def test_a_prepayment_extends_existing_coverage(channel_client, registered):
    channel_client.pay(registered["payment_code"], 110_400, 3)
    second = channel_client.pay(
        registered["payment_code"], 36_800 * 6, 6, paid_at="2026-11-21T12:00:00+08:00"
    )
    assert second.json()["paid_through"] == "2027-07-31"
    assert second.json()["covered_from"] == "2027-02-01"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": 110_000}, 422, "amount_mismatch"),
        ({"months": 2}, 400, "validation_error"),
        ({"payment_code": "12345678901234"}, 422, "unknown_payment_code"),
        # Well formed (its check digit is right) but no registration has it.
        ({"payment_code": "87777777777770"}, 422, "unknown_payment_code"),
        ({"payment_code": "nonsense"}, 422, "unknown_payment_code"),
    ],
)
def test_refused_payments_are_stored_nowhere_but_the_refusal_log(
    channel_client, registered, change, status, code
):
    payload = {"payment_code": registered["payment_code"], "amount": 110_400, "months": 3} | change
    response = channel_client.pay(payload["payment_code"], payload["amount"], payload["months"])
    assert response.status_code == status
    assert response.json()["code"] == code
    assert stored_nothing()
    assert Participant.objects.get().status == "awaiting_payment"
    refused = RefusedRequest.objects.get()
    assert (refused.code, refused.status, refused.partner) == (code, status, channel_client.partner)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"secret": "not-the-secret"}, "bad_signature"),
        ({"signature": ""}, "bad_signature"),
        ({"signature": "t=1,v1=abc"}, "stale_signature"),
        ({"t": -301}, "stale_signature"),
        ({"t": +400}, "stale_signature"),
    ],
)
def test_bad_and_stale_signatures_are_401(channel_client, registered, kwargs, code):
    if "t" in kwargs:  # seconds from now, read when the test runs
        kwargs = {"t": int(time.time()) + kwargs["t"]}
    response = channel_client.pay(registered["payment_code"], 110_400, 3, **kwargs)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert stored_nothing()
    assert RefusedRequest.objects.get().code == code


def test_a_tampered_body_fails_the_signature(channel_client, registered):
    payload = {
        "channel_ref": "X",
        "payment_code": registered["payment_code"],
        "amount": 110_400,
        "months": 3,
        "paid_at": "2026-11-21T10:00:00+08:00",
    }
    header = signature_header(channel_client.secret, int(time.time()), json.dumps(payload).encode())
    payload.update(amount=36_800, months=1)  # what a man in the middle would change
    response = channel_client.post(PAYMENTS, payload, signature=header)
    assert response.json()["code"] == "bad_signature"


def test_a_rotated_signing_secret_is_accepted_until_revoked(channel_client, registered):
    record, new_secret = partner_services.signing_secret_create(partner=channel_client.partner)
    code = registered["payment_code"]
    assert channel_client.pay(code, 36_800, 1, secret=new_secret).status_code == 201
    assert channel_client.pay(code, 36_800, 1).status_code == 201
    partner_services.signing_secret_revoke(secret=record)
    assert channel_client.pay(code, 36_800, 1, secret=new_secret).status_code == 401


def test_a_key_of_a_permit_office_is_403(registered, channel_client):
    office = Partner.objects.create(code="PTSP-1", name="PTSP", kind=PartnerKind.PTSP)
    channel_client.key = partner_services.partner_key_create(partner=office)[1]
    response = channel_client.pay(registered["payment_code"], 110_400, 3)
    assert response.status_code == 403
    assert stored_nothing()


def test_no_key_is_401(registered):
    response = APIClient().post(PAYMENTS, {}, format="json")
    assert response.status_code == 401
    assert RefusedRequest.objects.get().status == 401


def test_agent_me_counts_activations_and_contributions(channel_client, registered, agent_a):
    channel_client.pay(registered["payment_code"], 110_400, 3, paid_at=timezone.now().isoformat())
    month = agent_client(agent_a).get("/api/v1/agent/me").json()["month"]
    assert (month["registrations"], month["activations"], month["contributions"]) == (1, 1, 110_400)


def test_a_reversal_moves_paid_through_back_and_is_idempotent(channel_client, registered, client_a):
    channel_client.pay(registered["payment_code"], 110_400, 3, ref="R-1")
    channel_client.pay(
        registered["payment_code"], 36_800, 1, ref="R-2", paid_at="2026-11-21T12:00:00+08:00"
    )
    assert Participant.objects.get().paid_through == datetime.date(2027, 2, 28)

    first = channel_client.reverse("R-1")
    assert first.status_code == 201
    assert first.json()["participants"][0]["paid_through"] == "2026-11-30"  # R-2 alone now
    again = channel_client.reverse("R-1")
    assert again.status_code == 200
    assert again.json() == first.json()

    channel_client.reverse("R-2")
    participant = Participant.objects.get()
    assert (participant.status, participant.paid_through, participant.activated_at) == (
        "awaiting_payment",
        None,
        None,
    )
    seen = client_a.get(f"{REGISTRATIONS}/{registered['id']}").json()
    assert seen["status"] == "awaiting_payment"


def test_a_reversal_of_someone_elses_or_an_unknown_payment_is_404(channel_client, registered):
    channel_client.pay(registered["payment_code"], 110_400, 3, ref="MINE")
    other = ChannelClient("BANK-OTHER")
    assert other.reverse("MINE").status_code == 404
    assert channel_client.reverse("NEVER-SENT").status_code == 404
    assert PaymentLine.objects.get().reversed_at is None


# Sponsors ------------------------------------------------------------------------------


def test_a_sponsor_pays_for_many_participants_in_one_request(channel_client, client_a):
    registrations = [post(client_a, body(n)).json() for n in (1, 2, 3)]
    sponsor = Sponsor.objects.create(code="baznas", name="BAZNAS", kind=Sponsor.Kind.BAZNAS)
    for registration in registrations:
        sponsorship_create(
            sponsor=sponsor,
            participant=Participant.objects.get(registration__id=registration["id"]),
            months=6,
        )
    lines = [
        {"payment_code": r["payment_code"], "amount": 16_800 * 3, "months": 3}
        for r in registrations
    ]
    payload = {
        "channel_ref": "SP-1",
        "sponsor": "baznas",
        "lines": lines,
        "paid_at": "2026-11-25T11:00:00+08:00",  # after body()'s capture, two hours ago
    }
    response = channel_client.post(PAYMENTS, payload)
    assert response.status_code == 201, response.json()
    assert [line["paid_through"] for line in response.json()["lines"]] == ["2027-01-31"] * 3
    assert Payment.objects.get().lines.count() == 3
    assert set(Participant.objects.values_list("status", flat=True)) == {"active"}

    beyond = {
        **payload,
        "channel_ref": "SP-2",
        "lines": [{**lines[0], "amount": 16_800 * 6, "months": 6}],
    }
    beyond_funding = channel_client.post(PAYMENTS, beyond)  # 3 + 6 > 6 funded
    assert beyond_funding.json()["code"] == "not_sponsored"


def test_a_sponsor_cannot_pay_for_someone_it_does_not_fund(channel_client, client_a):
    registration = post(client_a, body(1)).json()
    Sponsor.objects.create(code="csr", name="CSR", kind=Sponsor.Kind.CSR_COMPANY)
    payload = {
        "channel_ref": "SP-1",
        "sponsor": "csr",
        "paid_at": "2026-11-25T11:00:00+08:00",
        "lines": [{"payment_code": registration["payment_code"], "amount": 16_800, "months": 1}],
    }
    response = channel_client.post(PAYMENTS, payload)
    assert response.status_code == 422
    assert stored_nothing()


def test_budget_funded_participants_are_priced_without_reliefs(client_a, kendari):
    ContributionRelief.objects.create(
        name="PP 50/2025",
        applies_to_jkk=True,
        applies_to_jkm=True,
        pay_percent=Decimal("50"),
        effective_from=datetime.date(2026, 1, 1),
    )
    registration = post(client_a, body(1, programs=["JKK", "JKM"])).json()
    assert (
        registration["contribution"]["monthly_total"] == 8_400
    )  # the relief applies to the worker
    participant = Participant.objects.get()
    csr = Sponsor.objects.create(code="csr", name="CSR", kind=Sponsor.Kind.CSR_COMPANY)
    apbd = Sponsor.objects.create(code="apbd", name="Pemkot", kind=Sponsor.Kind.REGIONAL_BUDGET)
    assert (
        sponsorship_create(sponsor=csr, participant=participant, months=3).monthly_amount == 8_400
    )
    assert (
        sponsorship_create(sponsor=apbd, participant=participant, months=3).monthly_amount == 16_800
    )
    assert Registration.objects.get().monthly_total == 8_400  # the registration itself unchanged


# Dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paid_at",
    [
        "0001-01-01T00:00:00+00:00",
        "1990-06-15T10:00:00+08:00",
        "2026-11-20T09:09:00+08:00",  # six minutes before the capture
        "2026-11-25T12:06:00+08:00",  # six minutes ahead of the clock
        "9999-12-31T23:59:59+00:00",
    ],
)
def test_a_payment_dated_before_the_capture_or_in_the_future_is_refused_whole(
    channel_client, registered, paid_at
):
    response = channel_client.pay(
        registered["payment_code"], 110_400, 3, paid_at=paid_at, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["fields"]) == {"paid_at"}
    assert stored_nothing()
    participant = Participant.objects.get()
    assert (participant.status, participant.paid_through) == ("awaiting_payment", None)


def test_the_refusal_of_an_early_payment_speaks_indonesian(channel_client, registered):
    response = channel_client.pay(
        registered["payment_code"], 110_400, 3, paid_at="1990-06-15T10:00:00+08:00"
    )
    assert response.json()["fields"]["paid_at"] == [
        "Waktu pembayaran lebih awal dari pendaftaran pekerja."
    ]


def test_a_payment_within_the_clock_skew_of_the_capture_is_accepted(channel_client, registered):
    response = channel_client.pay(
        registered["payment_code"], 110_400, 3, paid_at="2026-11-20T09:11:00+08:00"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["covered_from"] == "2026-11-01"


def test_a_sponsor_payment_with_one_line_paid_before_its_capture_stores_nothing(
    channel_client, client_a
):
    sponsor = Sponsor.objects.create(code="baznas", name="BAZNAS", kind=Sponsor.Kind.BAZNAS)
    early = post(client_a, EXAMPLE).json()  # captured on 20 November
    late = post(client_a, body(1)).json()  # captured two hours ago, on the 25th
    for registration in (early, late):
        sponsorship_create(
            sponsor=sponsor,
            participant=Participant.objects.get(registration__id=registration["id"]),
            months=3,
        )
    payload = {
        "channel_ref": "SP-EARLY",
        "sponsor": "baznas",
        "paid_at": "2026-11-21T10:00:00+08:00",  # after the first capture, before the second
        "lines": [
            {"payment_code": r["payment_code"], "amount": 16_800, "months": 1}
            for r in (early, late)
        ],
    }
    response = channel_client.post(PAYMENTS, payload, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.json()
    assert response.json()["fields"] == {
        "paid_at": ["The payment time is before the worker was registered."]
    }
    assert stored_nothing()
    assert set(Participant.objects.values_list("status", flat=True)) == {"awaiting_payment"}


# Concurrency ---------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_deliveries_of_one_ref_record_one_payment(agent_a):
    channel_client = ChannelClient()
    registered = post(agent_client(agent_a), EXAMPLE).json()
    responses = race(
        lambda i: channel_client.pay(registered["payment_code"], 110_400, 3, ref="BNI-RACE"), 20
    )
    assert {r.status_code for r in responses} <= {200, 201}
    assert sum(r.status_code == 201 for r in responses) == 1
    assert len({json.dumps(r.json(), sort_keys=True) for r in responses}) == 1
    assert PaymentLine.objects.count() == 1
    assert Participant.objects.get().paid_through == datetime.date(2027, 1, 31)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_payments_for_one_worker_stack_their_coverage(agent_a):
    channel_client = ChannelClient()
    registered = post(agent_client(agent_a), EXAMPLE).json()
    responses = race(
        lambda i: channel_client.pay(registered["payment_code"], 36_800, 1, ref=f"P-{i}"), 6
    )
    assert [r.status_code for r in responses] == [201] * 6
    assert Participant.objects.get().paid_through == datetime.date(2027, 4, 30)  # Nov + 5 months
