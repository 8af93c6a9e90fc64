"""Numbers before sync (DESIGN §9): participant numbers reserved by an agent's device
while online, used by a registration synced later."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments import codes
from enrollments.models import NumberReservation, Participant, Registration
from enrollments.services import numbers_reserve
from tests.builders import SYNC, agent_client, body, post
from tests.races import race

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/v1/agent/reservations"
FRESH = "12345678906"  # a well-formed number no one has


def reserve(client, count, key=None, **extra):
    return client.post(
        RESERVATIONS,
        {"count": count},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        **extra,
    )


def reserved_numbers(client, count) -> list[str]:
    response = reserve(client, count)
    assert response.status_code == 201, response.content
    return [row["participant_number"] for row in response.json()["results"]]


def listed(client, **params) -> list[str]:
    response = client.get(RESERVATIONS, params)
    assert response.status_code == 200, response.content
    return [row["participant_number"] for row in response.json()["results"]]


def expire(number: str) -> None:
    past = timezone.now() - datetime.timedelta(days=1)
    NumberReservation.objects.filter(participant_number=number).update(
        reserved_at=past - datetime.timedelta(days=60), expires_at=past
    )


def sync(client, items):
    return client.post(SYNC, {"items": items}, format="json", HTTP_ACCEPT_LANGUAGE="en")


def post_en(client, payload):
    return post(client, payload, HTTP_ACCEPT_LANGUAGE="en")


def field_error(response) -> str:
    assert response.status_code == 400, response.content
    (message,) = response.json()["fields"]["reserved_number"]
    return message


# Reserving ------------------------------------------------------------------------------


def test_reserved_numbers_are_the_agents_for_sixty_days_and_are_no_participants(client_a):
    response = reserve(client_a, 5)
    assert response.status_code == 201, response.content
    rows = response.json()["results"]
    numbers = [row["participant_number"] for row in rows]
    assert len(set(numbers)) == 5
    for row in rows:
        number = row["participant_number"]
        assert len(number) == codes.PARTICIPANT_NUMBER_LENGTH
        assert codes.damm_is_valid(number)
        reserved_at = datetime.datetime.fromisoformat(row["reserved_at"])
        expires_at = datetime.datetime.fromisoformat(row["expires_at"])
        assert expires_at - reserved_at == datetime.timedelta(days=60)
    assert not Participant.objects.exists()
    assert sorted(listed(client_a)) == sorted(numbers)


@pytest.mark.parametrize("count", [0, 101, -1])
def test_a_batch_outside_1_to_100_is_refused(client_a, count):
    response = reserve(client_a, count)
    assert response.status_code == 400
    assert "count" in response.json()["fields"]
    assert not NumberReservation.objects.exists()


@pytest.mark.parametrize("count", ["5", True, 2.5, None])
def test_a_count_that_is_not_a_json_whole_number_is_refused(client_a, count):
    response = reserve(client_a, count)
    assert response.status_code == 400
    assert "count" in response.json()["fields"]


def test_an_idempotency_key_with_whitespace_inside_is_refused(client_a):
    assert reserve(client_a, 1, key="a b").json()["code"] == "idempotency_key_required"
    assert not NumberReservation.objects.exists()


def test_the_service_refuses_a_batch_outside_the_limits_too(agent_a):
    from core.exceptions import InvalidInputError

    with pytest.raises(InvalidInputError):
        numbers_reserve(agent=agent_a, count=101)


def test_an_agent_holds_at_most_200_unused_numbers(client_a, client_b):
    reserved_numbers(client_a, 100)
    reserved_numbers(client_a, 90)
    refused = reserve(client_a, 11, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    answer = refused.json()
    assert answer["code"] == "reservation_limit_reached"
    assert (answer["unused"], answer["limit"], answer["available"]) == (190, 200, 10)
    assert "190" in answer["message"]
    assert NumberReservation.objects.count() == 190
    assert len(reserved_numbers(client_a, 10)) == 10
    assert reserve(client_a, 1).status_code == 409
    assert len(reserved_numbers(client_b, 100)) == 100  # another agent's cap is their own


def test_used_and_expired_numbers_no_longer_count_against_the_cap(client_a):
    numbers = reserved_numbers(client_a, 100) + reserved_numbers(client_a, 100)
    assert reserve(client_a, 1).status_code == 409
    assert post(client_a, body(1, reserved_number=numbers[0])).status_code == 201
    expire(numbers[1])
    assert len(reserved_numbers(client_a, 2)) == 2


def test_a_retried_request_reserves_nothing_more(client_a):
    key = str(uuid.uuid4())
    first = reserve(client_a, 3, key=key)
    again = reserve(client_a, 3, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert NumberReservation.objects.count() == 3
    assert reserve(client_a, 4, key=key).status_code == 422


def test_reserving_needs_an_idempotency_key(client_a):
    response = client_a.post(RESERVATIONS, {"count": 1}, format="json")
    assert response.json()["code"] == "idempotency_key_required"
    assert not NumberReservation.objects.exists()


def test_reserving_needs_an_active_agent(api_client, client_a, agent_a):
    from agents import services as agent_services

    assert reserve(api_client, 1).status_code == 401
    agent_services.agent_deactivate(agent=agent_a, by=None, reason="Tidak aktif")
    assert reserve(client_a, 1).json()["code"] == "agent_not_active"
    assert client_a.get(RESERVATIONS).json()["code"] == "agent_not_active"


def test_a_drawn_number_is_never_a_participants_or_another_reservations(
    client_a, agent_b, monkeypatch
):
    participant_number = post(client_a, body(1)).json()["participant_number"]
    (other,) = [r.participant_number for r in numbers_reserve(agent=agent_b, count=1)]
    fresh = FRESH
    assert codes.damm_is_valid(fresh)
    draws = iter([participant_number, other, fresh])
    monkeypatch.setattr(codes, "new_participant_number", lambda: next(draws))
    assert reserved_numbers(client_a, 1) == [fresh]


def test_the_list_shows_only_the_agents_own_unused_unexpired_numbers(client_a, client_b):
    mine = reserved_numbers(client_a, 4)
    theirs = reserved_numbers(client_b, 2)
    assert post(client_a, body(1, reserved_number=mine[0])).status_code == 201
    expire(mine[1])
    assert listed(client_a) == mine[2:]
    assert set(listed(client_b)) == set(theirs)


def test_the_list_is_paginated_with_a_constant_number_of_queries(client_a):
    numbers = reserved_numbers(client_a, 30)

    def queries_for(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            listed(client_a, page_size=page_size)
        return len(captured)

    assert queries_for(2) == queries_for(30)
    first = client_a.get(RESERVATIONS, {"page_size": 20}).json()
    second = client_a.get(first["next"]).json()
    pages = [row["participant_number"] for row in first["results"] + second["results"]]
    assert pages == numbers  # oldest first, every one once


# Registering with a reserved number -----------------------------------------------------


def test_a_registration_takes_its_reserved_number(client_a):
    (number,) = reserved_numbers(client_a, 1)
    response = post(client_a, body(1, reserved_number=number))
    assert response.status_code == 201, response.content
    assert response.json()["participant_number"] == number
    reservation = NumberReservation.objects.get(participant_number=number)
    assert reservation.used_at is not None
    assert reservation.registration_id == response.json()["id"]
    assert listed(client_a) == []


def test_a_registration_without_a_reserved_number_never_gets_a_reserved_one(
    client_a, agent_b, monkeypatch
):
    (reserved,) = [r.participant_number for r in numbers_reserve(agent=agent_b, count=1)]
    fresh = FRESH
    draws = iter([reserved, fresh])
    monkeypatch.setattr(codes, "new_participant_number", lambda: next(draws))
    assert post(client_a, body(1)).json()["participant_number"] == fresh


def test_another_agents_number_is_refused_like_an_unknown_one(client_a, client_b):
    (theirs,) = reserved_numbers(client_b, 1)
    message = field_error(
        post(client_a, body(1, reserved_number=theirs), HTTP_ACCEPT_LANGUAGE="en")
    )
    assert message == "This is not a participant number reserved for you."
    unknown = field_error(post(client_a, body(2, reserved_number=FRESH), HTTP_ACCEPT_LANGUAGE="en"))
    assert unknown == message
    assert not Registration.objects.exists()
    assert NumberReservation.objects.get(participant_number=theirs).used_at is None


def test_a_used_number_is_refused(client_a):
    (number,) = reserved_numbers(client_a, 1)
    assert post(client_a, body(1, reserved_number=number)).status_code == 201
    message = field_error(
        post(client_a, body(2, reserved_number=number), HTTP_ACCEPT_LANGUAGE="en")
    )
    assert message == "This reserved number has already been used for another registration."
    assert Registration.objects.count() == 1


def test_an_expired_number_is_refused(client_a):
    (number,) = reserved_numbers(client_a, 1)
    expire(number)
    message = field_error(
        post(client_a, body(1, reserved_number=number), HTTP_ACCEPT_LANGUAGE="en")
    )
    assert message.startswith("This reserved number expired on ")
    assert not Registration.objects.exists()


def test_a_malformed_reserved_number_is_refused_by_shape(client_a):
    response = post(client_a, body(1, reserved_number="123"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "reserved_number" in response.json()["fields"]


def test_sync_items_with_reserved_numbers_created_invalid_and_replayed(client_a, client_b):
    numbers = reserved_numbers(client_a, 3)
    (theirs,) = reserved_numbers(client_b, 1)
    expire(numbers[2])
    items = [
        body(1, reserved_number=numbers[0]),
        body(2, reserved_number=numbers[0]),  # the same number again: used by the first
        body(3, reserved_number=theirs),
        body(4, reserved_number=numbers[2]),  # expired
        body(5, reserved_number=numbers[1]),
        body(6),
    ]
    response = sync(client_a, items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["result"] for r in results] == [
        "created",
        "invalid",
        "invalid",
        "invalid",
        "created",
        "created",
    ]
    assert results[0]["registration"]["participant_number"] == numbers[0]
    assert results[4]["registration"]["participant_number"] == numbers[1]
    assert results[5]["registration"]["participant_number"] not in numbers
    for result in results[1:4]:
        assert result["error"]["code"] == "validation_error"
        assert list(result["error"]["fields"]) == ["reserved_number"]
        assert result["registration"] is None
    assert results[1]["error"]["fields"]["reserved_number"] == [
        "This reserved number has already been used for another registration."
    ]

    replay = sync(client_a, items).json()["results"]
    assert [r["result"] for r in replay] == [
        "duplicate",
        "invalid",
        "invalid",
        "invalid",
        "duplicate",
        "duplicate",
    ]
    assert replay[0]["registration"]["id"] == results[0]["registration"]["id"]
    assert NumberReservation.objects.filter(used_at__isnull=False).count() == 2
    assert Participant.objects.filter(participant_number__in=numbers).count() == 2


def test_a_nik_already_registered_conflicts_and_leaves_the_number_unused(client_a):
    (number,) = reserved_numbers(client_a, 1)
    assert post(client_a, body(1)).status_code == 201
    results = sync(client_a, [{**body(2, reserved_number=number), "nik": body(1)["nik"]}])
    assert results.json()["results"][0]["result"] == "conflict"
    assert listed(client_a) == [number]


@pytest.mark.postgres  # SQLite splits bulk inserts by its bound-parameter limit
def test_sync_with_reserved_numbers_costs_a_constant_number_of_queries(client_a):
    numbers = reserved_numbers(client_a, 100) + reserved_numbers(client_a, 100)

    def queries_for(items) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sync(client_a, items).status_code == 200
        return len(captured)

    small = queries_for([body(n, reserved_number=numbers[n]) for n in range(1, 6)])
    large = queries_for([body(n, reserved_number=numbers[n]) for n in range(6, 106)])
    assert large == small


# Races ----------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_devices_reserving_at_once_never_share_a_number_nor_pass_the_cap(agent_a, agent_b):
    clients = [agent_client(agent_a) for _ in range(4)] + [agent_client(agent_b)]
    responses = race(lambda i: reserve(clients[i], 100), 5)
    statuses = [response.status_code for response in responses]
    assert sorted(statuses[:4]) == [201, 201, 409, 409]
    assert statuses[4] == 201
    numbers = [
        row["participant_number"]
        for response in responses
        if response.status_code == 201
        for row in response.json()["results"]
    ]
    assert len(numbers) == len(set(numbers)) == 300
    assert NumberReservation.objects.filter(agent=agent_a).count() == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_agents_drawing_the_same_numbers_at_once_still_get_different_ones(
    agent_a, agent_b, monkeypatch
):
    """Every thread draws the same numbers first: the unique index refuses the slower
    insert, which draws again."""
    shared = [codes.new_participant_number() for _ in range(10)]
    local = threading.local()
    real = codes.new_participant_number

    def patched() -> str:
        if not hasattr(local, "numbers"):
            local.numbers = iter(shared)
        return next(local.numbers, None) or real()

    monkeypatch.setattr(codes, "new_participant_number", patched)
    agents = [agent_a, agent_b]
    results = race(lambda i: numbers_reserve(agent=agents[i], count=10), 2)
    numbers = [r.participant_number for batch in results for r in batch]
    assert len(numbers) == len(set(numbers)) == 20
    assert NumberReservation.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_registrations_racing_for_one_reserved_number_one_wins(agent_a):
    (number,) = [r.participant_number for r in numbers_reserve(agent=agent_a, count=1)]
    clients = [agent_client(agent_a) for _ in range(2)]
    responses = race(lambda i: sync(clients[i], [body(i + 1, reserved_number=number)]), 2)
    results = [response.json()["results"][0] for response in responses]
    assert sorted(r["result"] for r in results) == ["created", "invalid"]
    (lost,) = [r for r in results if r["result"] == "invalid"]
    assert lost["error"]["fields"]["reserved_number"] == [
        "This reserved number has already been used for another registration."
    ]
    assert Participant.objects.get(participant_number=number)
    reservation = NumberReservation.objects.get(participant_number=number)
    (won,) = [r for r in results if r["result"] == "created"]
    assert reservation.registration_id == won["registration"]["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_single_registrations_racing_for_one_reserved_number_one_201_one_400(agent_a):
    (number,) = [r.participant_number for r in numbers_reserve(agent=agent_a, count=1)]
    clients = [agent_client(agent_a) for _ in range(2)]
    responses = race(
        lambda i: post(clients[i], body(i + 1, reserved_number=number), HTTP_ACCEPT_LANGUAGE="en"),
        2,
    )
    assert sorted(r.status_code for r in responses) == [201, 400]
    assert Registration.objects.count() == 1
    assert Participant.objects.filter(participant_number=number).count() == 1


# Admin ----------------------------------------------------------------------------------


def test_branch_staff_see_their_branchs_reservations_read_only_with_state_filters(
    kendari, manado, client_a, agent_a
):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from agents.models import StaffProfile
    from tests.builders import active_agent, staff

    numbers = reserved_numbers(client_a, 3)
    assert post(client_a, body(1, reserved_number=numbers[0])).status_code == 201
    expire(numbers[1])
    (elsewhere,) = [
        r.participant_number for r in numbers_reserve(agent=active_agent(manado), count=1)
    ]
    client = Client()
    client.force_login(staff("staf.kdi", StaffProfile.Level.BRANCH, branch=kendari))
    url = "/admin/enrollments/numberreservation/"

    def shown(**params) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200
        html = response.content.decode()
        return {number for number in [*numbers, elsewhere] if number in html}

    assert shown() == set(numbers)
    assert shown(state="used") == {numbers[0]}
    assert shown(state="expired") == {numbers[1]}
    assert shown(state="unused") == {numbers[2]}
    reservation = NumberReservation.objects.get(participant_number=numbers[2])
    change = f"{url}{reservation.pk}/change/"
    assert client.post(change, {"expires_at_0": "2030-01-01"}).status_code == 403
    assert client.post(f"{url}{reservation.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{url}add/").status_code == 403
    other = NumberReservation.objects.get(participant_number=elsewhere)
    assert client.get(f"{url}{other.pk}/change/").status_code == 302  # not in their scope

    superuser = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(superuser)
    assert client.post(f"{url}{reservation.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not NumberReservation.objects.filter(pk=reservation.pk).exists()
    used = NumberReservation.objects.get(participant_number=numbers[0])
    assert client.post(f"{url}{used.pk}/delete/", {"post": "yes"}).status_code == 403


def test_a_reserved_number_comes_with_its_virtual_account_at_each_snap_channel(client_a):
    from tests.snap_bank import SnapBank

    bank = SnapBank()  # partnerServiceId 88899
    (row,) = reserve(client_a, 1).json()["results"]
    number = row["participant_number"]
    assert row["virtual_accounts"] == [{"channel": "BANK-SNAP", "number": f"88899{number}"}]
    # Not registered yet: a bank asking for that virtual account finds no bill.
    assert bank.inquiry(number).json()["responseCode"] == "4042412"
