"""SNAP virtual-account services, as a bank drives them: the token, bill presentment,
payment through the one payment path, status, and every refusal in the standard's
shape, stored nowhere but the refused-requests log."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone

from enrollments.models import Participant, Payment, PaymentLine
from partners import snap
from partners.models import RefusedRequest, SnapExternalId
from tests.builders import EXAMPLE, agent_client, post
from tests.races import race
from tests.snap_bank import INQUIRY, PAYMENT, SnapBank

pytestmark = pytest.mark.django_db

WITA = datetime.timezone(datetime.timedelta(hours=8))
MONTHLY = 36_800  # EXAMPLE's contribution a month


@pytest.fixture(autouse=True)
def _late_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=WITA)):
        yield


@pytest.fixture
def bank(db):
    return SnapBank()


@pytest.fixture
def number(client_a):
    return post(client_a, EXAMPLE).json()["participant_number"]


def answer(response, code):
    body = response.json()
    assert (response.status_code, body["responseCode"]) == (int(code[:3]), code), body
    return body


# Token --------------------------------------------------------------------------------


def test_a_channel_that_proves_its_key_gets_a_token_for_900_seconds(bank):
    body = answer(bank.token_response(), "2007300")
    assert body["tokenType"] == "Bearer" and body["expiresIn"] == "900"
    assert body["accessToken"]


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"signature": "AAAA"}, "4017300", "Unauthorized. [Signature]"),
        ({"client_key": "someone-else"}, "4017300", "Unauthorized. [Unknown client]"),
        (
            {"timestamp": "2026-11-25T11:40:00+08:00"},
            "4017300",
            "Unauthorized. [Invalid timestamp]",
        ),
        ({"timestamp": "25/11/2026 12:00"}, "4007301", "Invalid Field Format [X-TIMESTAMP]"),
    ],
)
def test_a_token_request_that_does_not_prove_the_key_is_refused(bank, change, code, message):
    body = answer(bank.token_response(**change), code)
    assert body["responseMessage"] == message
    assert "accessToken" not in body
    refused = RefusedRequest.objects.get()
    assert refused.code == f"snap_{code}" and refused.path.endswith("access-token/b2b")


def test_a_token_request_without_the_grant_type_is_refused(bank):
    body = answer(bank.token_response(body={"grantType": "password"}), "4007301")
    assert body["responseMessage"] == "Invalid Field Format [grantType]"


# Inquiry ------------------------------------------------------------------------------


def test_the_inquiry_presents_the_bill_for_1_3_6_and_12_months(bank, number):
    body = answer(bank.inquiry(number), "2002400")
    data = body["virtualAccountData"]
    assert data["virtualAccountNo"] == "   88899" + number
    assert data["virtualAccountName"] == EXAMPLE["full_name"]
    assert data["totalAmount"] == {"value": f"{MONTHLY * 3}.00", "currency": "IDR"}  # chosen
    amounts = {d["billCode"]: d["billAmount"]["value"] for d in data["billDetails"]}
    assert amounts == {f"{m:02d}": f"{MONTHLY * m}.00" for m in (1, 3, 6, 12)}
    assert data["inquiryRequestId"] == "INQ-1"


def test_an_unknown_virtual_account_has_no_bill(bank, number):
    unknown = "12345678903"  # well formed (check digit), never issued
    assert answer(bank.inquiry(unknown), "4042412")["responseMessage"].startswith(
        "Invalid Bill/Virtual Account"
    )
    mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
    answer(bank.inquiry(mistyped), "4042412")


def test_a_worker_paid_a_year_ahead_has_no_bill(bank, number):
    Participant.objects.update(paid_through=datetime.date(2027, 11, 30))
    answer(bank.inquiry(number), "4042414")


# Signature, token, timestamp, external id -----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"signature": "bm90IGl0"}, "4012400", "Unauthorized. [Signature]"),
        ({"secret": "not-the-secret"}, "4012400", "Unauthorized. [Signature]"),
        ({"token": "forged.token"}, "4012401", "Invalid Token (B2B)"),
        (
            {"timestamp": "2026-11-25T12:06:00+08:00"},
            "4012400",
            "Unauthorized. [Invalid timestamp]",
        ),
        ({"partner_id": "unknown-client"}, "4012400", "Unauthorized. [Unknown client]"),
        ({"external_id": "ABC"}, "4002401", "Invalid Field Format [X-EXTERNAL-ID]"),
    ],
)
def test_a_request_not_signed_as_the_standard_says_is_refused(bank, number, changes, code, message):
    assert answer(bank.inquiry(number, **changes), code)["responseMessage"] == message
    assert RefusedRequest.objects.filter(code=f"snap_{code}").count() == 1


def test_an_expired_token_is_refused(bank, number):
    token = bank.token()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=901)):
        answer(bank.inquiry(number, token=token), "4012401")


def test_another_channels_token_is_refused(bank, number):
    other = SnapBank(code="BANK-OTHER", service_id="77700", client_key="other-client")
    answer(bank.inquiry(number, token=other.token()), "4012401")


def test_an_external_id_is_used_once_a_day(bank, number):
    answer(bank.inquiry(number, external_id="20261125001"), "2002400")
    body = answer(bank.inquiry(number, external_id="20261125001"), "4092400")
    assert body["responseMessage"] == "Conflict [Duplicate X-EXTERNAL-ID]"
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        bank._token = None
        answer(bank.inquiry(number, external_id="20261125001"), "2002400")
    assert SnapExternalId.objects.count() == 2


def test_the_signature_covers_the_minified_body(bank, number):
    """The bank signs its own bytes minified; whitespace between tokens is not part of
    the signature, a changed value is."""
    body = bank.va_body(number, inquiryRequestId="INQ-1")
    pretty = json.dumps(body, indent=4).encode()
    answer(bank.call(INQUIRY, None, raw=pretty), "2002400")
    assert snap.minified(b'{ "a" : "x y" ,\n "b":[1, 2] }') == b'{"a":"x y","b":[1,2]}'


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"customerNo": "1", "virtualAccountNo": "1"},
            "4002402",
            "Invalid Mandatory Field [partnerServiceId]",
        ),
        (
            {
                "partnerServiceId": "x" * 20,
                "customerNo": "1",
                "virtualAccountNo": "1",
                "inquiryRequestId": "I",
            },
            "4002401",
            "Invalid Field Format [partnerServiceId]",
        ),
        ([1, 2], "4002400", "Bad Request"),
    ],
)
def test_a_malformed_body_names_the_field(bank, body, code, message):
    assert answer(bank.call(INQUIRY, body), code)["responseMessage"] == message


def test_a_body_that_is_not_json_is_a_bad_request(bank):
    answer(bank.call(INQUIRY, None, raw=b"{not json"), "4002400")


# Payment ------------------------------------------------------------------------------


def test_a_payment_of_a_presented_amount_goes_through_the_one_payment_path(bank, number):
    body = answer(bank.payment(number, MONTHLY * 6, "PAY-1"), "2002500")
    data = body["virtualAccountData"]
    assert data["paymentFlagStatus"] == "00"
    assert data["paidAmount"] == {"value": f"{MONTHLY * 6}.00", "currency": "IDR"}
    assert data["additionalInfo"] == {
        "participantNumber": number,
        "months": 6,
        "paidThrough": "2027-04-30",
    }
    participant = Participant.objects.get()
    assert participant.status == "active"
    assert participant.paid_through == datetime.date(2027, 4, 30)
    payment = Payment.objects.get()
    assert (payment.channel_id, payment.channel_ref) == (bank.partner.pk, "PAY-1")


def test_an_amount_that_was_not_presented_is_refused_and_nothing_stored(bank, number):
    answer(bank.payment(number, MONTHLY * 2, "PAY-2"), "4042513")
    answer(bank.payment(number, MONTHLY + 1, "PAY-3"), "4042513")
    assert not Payment.objects.exists()
    assert Participant.objects.get().paid_through is None


def test_a_repeated_payment_request_answers_the_same_and_another_body_is_inconsistent(bank, number):
    first = answer(bank.payment(number, MONTHLY, "PAY-4"), "2002500")
    again = answer(bank.payment(number, MONTHLY, "PAY-4"), "2002500")
    assert again == first
    answer(bank.payment(number, MONTHLY * 3, "PAY-4"), "4042518")
    assert PaymentLine.objects.count() == 1


def test_the_status_of_a_payment(bank, number):
    answer(bank.status(number, "PAY-5"), "4042601")
    answer(bank.payment(number, MONTHLY, "PAY-5"), "2002500")
    data = answer(bank.status(number, "PAY-5"), "2002600")["virtualAccountData"]
    assert data["paymentFlagStatus"] == "00"
    assert data["paidAmount"]["value"] == f"{MONTHLY}.00"
    other = SnapBank(code="BANK-OTHER", service_id="77700", client_key="other-client")
    answer(other.status(number, "PAY-5"), "4042601")  # not that channel's payment


def test_a_payment_for_a_virtual_account_of_another_channel_is_refused(bank, number):
    body = bank.va_body(
        number, paymentRequestId="PAY-6", paidAmount={"value": f"{MONTHLY}.00", "currency": "IDR"}
    )
    body["partnerServiceId"] = "   77700"
    body["virtualAccountNo"] = "   77700" + number
    answer(bank.call(PAYMENT, body), "4042512")


# Concurrency --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_identical_payments_record_one(agent_a):
    bank = SnapBank()
    number = post(agent_client(agent_a), EXAMPLE).json()["participant_number"]
    bank.token()
    responses = race(lambda i: bank.payment(number, MONTHLY * 3, "PAY-RACE"), 20)
    bodies = {json.dumps(r.json(), sort_keys=True) for r in responses}
    assert {r.status_code for r in responses} == {200}
    assert len(bodies) == 1
    assert PaymentLine.objects.count() == 1
    assert Participant.objects.get().paid_through == datetime.date(2027, 1, 31)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_payments_with_their_own_ids_each_move_coverage_once(agent_a):
    bank = SnapBank()
    number = post(agent_client(agent_a), EXAMPLE).json()["participant_number"]
    bank.token()
    responses = race(lambda i: bank.payment(number, MONTHLY, f"PAY-{i}"), 20)
    assert [r.json()["responseCode"] for r in responses] == ["2002500"] * 20
    assert PaymentLine.objects.count() == 20
    # November 2026 and 19 months after it.
    assert Participant.objects.get().paid_through == datetime.date(2028, 6, 30)


def test_the_agent_sees_the_virtual_account_at_each_snap_channel(client_a):
    without = post(client_a, EXAMPLE).json()
    assert without["virtual_accounts"] == []
    SnapBank()
    again = client_a.get(f"/api/v1/agent/registrations/{without['id']}").json()
    number = without["participant_number"]
    assert again["virtual_accounts"] == [{"channel": "BANK-SNAP", "number": f"88899{number}"}]


def test_external_ids_of_days_before_yesterday_are_purged_nightly(bank, number, settings):
    from partners.tasks import purge_snap_external_ids

    answer(bank.inquiry(number, external_id="1"), "2002400")
    assert "partners.purge_snap_external_ids" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        assert purge_snap_external_ids.apply().get() == {"purged": 0}  # yesterday's: kept
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert purge_snap_external_ids.apply().get() == {"purged": 1}
    assert not SnapExternalId.objects.exists()
