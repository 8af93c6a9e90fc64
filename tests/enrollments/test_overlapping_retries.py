"""What a phone on a bad network does: it gives up on a request that is still being
processed and sends it again. The retry must be told the truth about the agent's own
items (duplicate, or the first answer), never that their NIK is someone else's."""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from core.models import IdempotencyRecord
from enrollments.models import Participant, Registration
from enrollments.services import registrations as services
from enrollments.services.registrations import Outcome
from tests.builders import SYNC, body, post


def sync(client, items, **extra):
    return client.post(SYNC, {"items": items}, format="json", **extra)


def _inputs(items: list[dict]) -> list[services.RegistrationInput]:
    from enrollments.apis.agent import RegistrationInputSerializer, registration_input

    validator = RegistrationInputSerializer()
    return [registration_input(validator.run_validation(item)) for item in items]


def _waiting_on_a_lock(timeout: float = 30.0) -> None:
    """Returns once another session of this database waits on a row or index lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the retry never waited for the first attempt")


class FirstAttempt(threading.Thread):
    """The first request: its rows are written, not yet committed, until released."""

    def __init__(self, agent, items, channel) -> None:
        super().__init__()
        self.agent, self.items, self.channel = agent, items, channel
        self.written, self.release = threading.Event(), threading.Event()
        self.results: list = []

    def run(self) -> None:
        try:
            with transaction.atomic():
                self.results = services.registrations_register(
                    agent=self.agent, items=_inputs(self.items), channel=self.channel
                )
                self.written.set()
                assert self.release.wait(60)
        finally:
            self.written.set()
            connection.close()


def _retry_while_first_is_running(agent, items, channel, send):
    first = FirstAttempt(agent, items, channel)
    first.start()
    assert first.written.wait(60)
    answer: list = []

    def retry() -> None:
        try:
            answer.append(send())
        finally:
            connection.close()

    second = threading.Thread(target=retry)
    second.start()
    try:
        _waiting_on_a_lock()
    finally:
        first.release.set()
        first.join(60)
        second.join(60)
    return first.results, answer[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sync_retried_while_the_first_is_still_running_is_all_duplicates(agent_a, client_a):
    items = [body(n) for n in range(1, 201)]
    first, response = _retry_while_first_is_running(
        agent_a, items, Registration.Channel.SYNC, lambda: sync(client_a, items)
    )
    assert [result.outcome for result in first] == [Outcome.CREATED] * len(items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert {result["result"] for result in results} == {"duplicate"}
    ids = {result.client_uuid: result.registration.pk for result in first}
    for item, result in zip(items, results, strict=True):
        assert result["registration"]["id"] == ids[uuid.UUID(item["client_uuid"])]
    assert Registration.objects.count() == Participant.objects.count() == len(items)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_online_retry_under_a_new_key_while_the_first_runs_gets_the_registration(
    agent_a, client_a
):
    item = body(1)
    key = str(uuid.uuid4())
    first, response = _retry_while_first_is_running(
        agent_a, [item], Registration.Channel.ONLINE, lambda: post(client_a, item, key=key)
    )
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == first[0].registration.pk
    # What was stored under the key is that answer, not a conflict replayed for ever.
    replay = post(client_a, item, key=key)
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first[0].registration.pk
    assert IdempotencyRecord.objects.get(key=key).response_status == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_agents_item_racing_the_same_nik_is_still_a_conflict(agent_a, agent_b, client_b):
    item = body(1)
    theirs = {**body(2), "nik": item["nik"]}
    _first, response = _retry_while_first_is_running(
        agent_a, [item], Registration.Channel.SYNC, lambda: sync(client_b, [theirs])
    )
    (result,) = response.json()["results"]
    assert result["result"] == "conflict"
    assert result["error"]["code"] == "nik_already_registered"


@pytest.mark.django_db
def test_a_reused_client_uuid_with_another_worker_in_one_batch_is_refused(client_a):
    first = body(1)
    other = {**body(2), "client_uuid": first["client_uuid"]}
    response = sync(client_a, [first, other, first], HTTP_ACCEPT_LANGUAGE="en")
    results = response.json()["results"]
    assert [result["result"] for result in results] == ["created", "conflict", "duplicate"]
    assert results[1]["error"]["code"] == "client_uuid_reused"
    assert "another registration" in results[1]["error"]["message"]
    assert results[1]["registration"] is None
    assert Participant.objects.count() == 1


@pytest.mark.django_db
def test_a_reused_client_uuid_with_another_worker_in_a_later_batch_is_refused(client_a):
    first = body(1)
    assert sync(client_a, [first]).json()["results"][0]["result"] == "created"
    other = {**body(2), "client_uuid": first["client_uuid"]}
    (result,) = sync(client_a, [other], HTTP_ACCEPT_LANGUAGE="id").json()["results"]
    assert result["result"] == "conflict"
    assert result["error"]["code"] == "client_uuid_reused"
    assert "registrasi lain" in result["error"]["message"]
    (again,) = sync(client_a, [first]).json()["results"]
    assert again["result"] == "duplicate"


@pytest.mark.django_db
def test_a_reused_client_uuid_online_under_a_new_key_is_refused(client_a):
    first = body(1)
    assert post(client_a, first).status_code == 201
    response = post(client_a, {**body(2), "client_uuid": first["client_uuid"]})
    assert response.status_code == 409
    assert response.json()["code"] == "client_uuid_reused"
    assert Participant.objects.count() == 1
