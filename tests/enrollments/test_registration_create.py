import datetime
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from agents import services as agent_services
from core.models import IdempotencyRecord
from core.tasks import purge_idempotency_keys
from enrollments.models import Participant, ProgramRate, Registration
from tests.builders import EXAMPLE, REGISTRATIONS, agent_client, body, post
from tests.races import race

pytestmark = pytest.mark.django_db


def test_the_design_example_registers_with_its_price_and_codes(client_a):
    response = post(client_a, EXAMPLE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201, response.json()
    registration = response.json()
    assert registration["client_uuid"] == EXAMPLE["client_uuid"]
    assert registration["status"] == "awaiting_payment"
    assert registration["nik_masked"] == "************0001"
    assert registration["full_name"] == "Wa Ode Sitti"
    assert registration["contribution"] | {"priced_on": None, "reliefs": None} == {
        "jkk": 10000,
        "jkm": 6800,
        "jht": 20000,
        "monthly_total": 36800,
        "period_months": 3,
        "amount_due": 110400,
        "priced_on": None,
        "reliefs": None,
    }
    assert registration["contribution"]["priced_on"] == "2026-11-20"  # the capture day, WITA
    assert len(registration["participant_number"]) == 11
    assert len(registration["payment_code"]) == 14
    assert registration["warnings"] == []
    assert "7471014507900001" not in response.content.decode()

    stored = Registration.objects.select_related("participant").get()
    assert (stored.monthly_total, stored.amount_due, stored.channel) == (36800, 110400, "online")
    assert stored.participant.nik_digest != ""
    assert stored.participant.branch.code == "KDI"


def test_warnings_when_the_nik_disagrees_with_the_declared_sex_and_birth_date(client_a):
    response = post(client_a, body(sex="F", birth_date="1991-01-01"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201
    codes = [warning["code"] for warning in response.json()["warnings"]]
    assert codes == ["nik_birth_date_mismatch", "nik_sex_mismatch"]
    assert all(warning["message"] for warning in response.json()["warnings"])


def test_the_same_key_and_body_replays_the_first_answer(client_a):
    key = str(uuid.uuid4())
    first = post(client_a, EXAMPLE, key=key)
    second = post(client_a, EXAMPLE, key=key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Registration.objects.count() == 1


def test_the_same_key_with_another_body_is_422(client_a):
    key = str(uuid.uuid4())
    post(client_a, EXAMPLE, key=key)
    response = post(client_a, {**EXAMPLE, "full_name": "Someone Else"}, key=key)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_mismatch"
    assert Registration.objects.count() == 1


def test_keys_are_scoped_to_the_agent(client_a, client_b):
    key = str(uuid.uuid4())
    assert post(client_a, body(1), key=key).status_code == 201
    assert post(client_b, body(2), key=key).status_code == 201


def test_no_key_is_400_and_writes_nothing(client_a):
    response = post(client_a, EXAMPLE, key=None, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_required"
    assert not Registration.objects.exists()


def test_a_known_client_uuid_under_a_new_key_is_the_same_registration(client_a):
    first = post(client_a, EXAMPLE)
    again = post(client_a, EXAMPLE)  # a new key: the app lost the first answer
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Registration.objects.count() == 1


def test_a_nik_already_registered_is_409_saying_nothing_about_who(client_a, client_b, agent_a):
    post(client_a, EXAMPLE)
    response = post(
        client_b, {**EXAMPLE, "client_uuid": str(uuid.uuid4())}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert response.json() == {
        "code": "nik_already_registered",
        "message": "This NIK is already registered as a participant.",
    }
    assert agent_a.code not in response.content.decode()
    assert EXAMPLE["nik"] not in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"programs": ["JKK", "JHT"]}, "programs"),
        ({"programs": ["JKK", "JKM", "JKM"]}, "programs"),
        ({"payment_period_months": 2}, "payment_period_months"),
        ({"declared_income": 1_234_567}, "declared_income"),
        (
            {"consent": {"given": False, "method": "signature", "at": "2026-11-20T09:15:00+08:00"}},
            "consent",
        ),
        ({"captured_at": "2099-01-01T00:00:00+08:00"}, "captured_at"),
        ({"occupation": "astronaut"}, "occupation"),
        ({"regency_code": "9999"}, "regency_code"),
        ({"nik": "7471013102900001"}, "nik"),
        ({"sex": "X"}, "sex"),
        ({"phone": "021555123"}, "phone"),
    ],
)
def test_bad_input_is_400_with_the_field_and_writes_nothing(client_a, changes, field):
    key = str(uuid.uuid4())
    response = post(client_a, {**EXAMPLE, **changes}, key=key, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]
    assert not Participant.objects.exists()
    # The key was not used up: the corrected request goes through with it.
    assert post(client_a, EXAMPLE, key=key).status_code == 201


def test_an_error_never_echoes_the_nik(client_a):
    bad = {**EXAMPLE, "nik": "7471013102900001"}
    response = post(client_a, bad)
    assert "7471013102900001" not in response.content.decode()


def test_an_inactive_agent_cannot_register(client_a, agent_a):
    agent_services.agent_deactivate(agent=agent_a, by=None, reason="Tidak aktif")
    response = post(client_a, EXAMPLE)
    assert response.status_code == 403
    assert response.json()["code"] == "agent_not_active"
    assert not Registration.objects.exists()


def test_a_rate_change_never_reprices_an_earlier_registration(client_a):
    first = post(client_a, body(1)).json()
    today = timezone.localdate()
    jkk = ProgramRate.objects.get(program="JKK")
    jkk.effective_to = today - datetime.timedelta(days=1)
    jkk.save(update_fields=["effective_to"])
    ProgramRate.objects.create(
        program="JKK", percent_of_income=Decimal("1.5"), effective_from=today
    )

    again = client_a.get(f"{REGISTRATIONS}/{first['id']}").json()
    assert again["contribution"]["jkk"] == 10_000
    later = post(client_a, body(2, captured_at=timezone.now().isoformat())).json()
    assert later["contribution"]["jkk"] == 15_000


def test_idempotency_keys_older_than_thirty_days_are_purged_but_replays_stay_duplicates(client_a):
    key = str(uuid.uuid4())
    first = post(client_a, EXAMPLE, key=key).json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - datetime.timedelta(days=31))
    assert purge_idempotency_keys.apply().get() == 1
    replay = post(client_a, EXAMPLE, key=key)
    assert replay.status_code == 200
    assert replay.json()["id"] == first["id"]
    assert Registration.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_posts_with_one_key_make_one_row_and_twenty_identical_answers(agent_a):
    clients = [agent_client(agent_a) for _ in range(20)]
    key = str(uuid.uuid4())
    responses = race(lambda i: post(clients[i], EXAMPLE, key=key), 20)
    answers = {(r.status_code, r.content) for r in responses}
    assert len(answers) == 1, answers
    assert responses[0].status_code == 201
    assert Registration.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_agents_racing_the_same_nik_one_201_one_409(agent_a, agent_b):
    clients = [agent_client(agent_a), agent_client(agent_b)]
    responses = race(lambda i: post(clients[i], {**EXAMPLE, "client_uuid": str(uuid.uuid4())}), 2)
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Participant.objects.count() == 1
