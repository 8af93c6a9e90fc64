import random
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents import services
from enrollments.models import Participant, Registration
from tests.builders import SYNC, body, post

pytestmark = pytest.mark.django_db


def sync(client, items, **extra):
    return client.post(SYNC, {"items": items}, format="json", **extra)


def by_uuid(response) -> dict[str, dict]:
    return {result["client_uuid"]: result for result in response.json()["results"]}


def test_each_item_gets_its_result_in_the_order_sent(client_a, client_b):
    taken = body(5000)
    assert post(client_b, taken).status_code == 201  # another agent's participant
    items = [
        body(1),
        body(2, programs=["JKK"]),  # invalid
        {**body(3), "nik": taken["nik"]},  # conflict
        body(1),  # the first again: duplicate
        "not an object",
    ]
    response = sync(client_a, items, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["result"] for r in results] == [
        "created",
        "invalid",
        "conflict",
        "duplicate",
        "invalid",
    ]
    assert results[0]["registration"]["status"] == "awaiting_payment"
    assert results[3]["registration"]["id"] == results[0]["registration"]["id"]
    assert results[1]["error"]["code"] == "validation_error"
    assert "programs" in results[1]["error"]["fields"]
    assert results[2]["error"]["code"] == "nik_already_registered"
    assert results[2]["registration"] is None
    assert results[4]["client_uuid"] is None
    assert Registration.objects.filter(agent__full_name="Agen A").count() == 1


def test_two_items_with_one_nik_in_a_batch_the_second_conflicts(client_a):
    first, second = body(10), {**body(11), "nik": body(10)["nik"]}
    results = sync(client_a, [first, second]).json()["results"]
    assert [r["result"] for r in results] == ["created", "conflict"]


def test_more_than_500_items_is_refused_whole(client_a):
    response = sync(client_a, [body(n) for n in range(1, 502)])
    assert response.status_code == 400
    assert "items" in response.json()["fields"]
    assert not Registration.objects.exists()


def test_an_empty_batch_is_refused(client_a):
    assert sync(client_a, []).status_code == 400


def test_an_inactive_agent_cannot_sync(client_a, agent_a):
    services.agent_deactivate(agent=agent_a, by=None, reason="Tidak aktif")
    assert sync(client_a, [body(1)]).json()["code"] == "agent_not_active"


def test_a_batch_of_500_sent_three_times_leaves_exactly_the_right_rows(client_a, client_b):
    """New, repeated, conflicting and invalid items; sent cut short, then whole, then
    reordered: every item is created once, and every send says the same about it."""
    rng = random.Random(7)
    elsewhere = [body(n) for n in range(9000, 9040)]
    for item in elsewhere:
        assert post(client_b, item).status_code == 201
    items = []
    for n in range(1, 501):
        kind = n % 10
        if kind == 7:
            items.append(body(n, declared_income=123))  # invalid
        elif kind == 8:
            items.append({**body(n), "nik": elsewhere[n % 40]["nik"]})  # NIK conflict
        elif kind == 9:
            items.append(dict(items[-1]))  # the item before it, again
        else:
            items.append(body(n))
    expected_new = {item["client_uuid"] for item in items if item["declared_income"] != 123}
    expected_new -= {
        item["client_uuid"] for item in items if item["nik"] in {e["nik"] for e in elsewhere}
    }

    first = sync(client_a, items[:180])  # the connection dropped after 180
    second = sync(client_a, items)
    shuffled = items[:]
    rng.shuffle(shuffled)
    third = sync(client_a, shuffled)
    for response in (first, second, third):
        assert response.status_code == 200

    assert set(
        Registration.objects.filter(agent__full_name="Agen A").values_list("client_uuid", flat=True)
    ) == {uuid.UUID(u) for u in expected_new}
    assert Participant.objects.count() == len(expected_new) + len(elsewhere)

    second_results, third_results = by_uuid(second), by_uuid(third)
    created_in_first = {u for u, r in by_uuid(first).items() if r["result"] == "created"}
    for item in items:
        u = item["client_uuid"]
        a, b = second_results[u], third_results[u]
        if u in expected_new:
            expected = "duplicate" if u in created_in_first else {"created", "duplicate"}
            assert b["result"] == "duplicate"
            assert a["result"] in (expected if isinstance(expected, set) else {expected})
            assert a["registration"]["id"] == b["registration"]["id"]
        else:
            assert a["result"] == b["result"] in {"invalid", "conflict"}
            assert a["error"]["code"] == b["error"]["code"]
    assert [r["result"] for r in second.json()["results"]].count("created") == len(
        expected_new - created_in_first
    )


@pytest.mark.postgres  # SQLite splits bulk inserts by its bound-parameter limit
def test_sync_query_count_does_not_grow_with_the_batch(client_a):
    def queries_for(items) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sync(client_a, items).status_code == 200
        return len(captured)

    small = queries_for([body(n) for n in range(1, 11)])
    large = queries_for([body(n) for n in range(11, 211)])
    replay = queries_for([body(n) for n in range(11, 211)])
    assert large == small
    assert replay <= small
    # At most 16 for the registrations, one for the SNAP channels whose virtual accounts
    # the answer shows, and a constant few for the welcome messages in the outbox (the
    # channel whose virtual account they give, the opted-out phones, the templates in
    # force, one insert, one count).
    assert small <= 22
