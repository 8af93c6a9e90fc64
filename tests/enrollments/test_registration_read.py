import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Participant, Registration
from tests.builders import REGISTRATIONS, SYNC, body, post

pytestmark = pytest.mark.django_db


def test_an_agent_lists_only_their_own_registrations(client_a, client_b):
    mine = post(client_a, body(1)).json()
    post(client_b, body(2))
    response = client_a.get(REGISTRATIONS)
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [mine["id"]]


def test_another_agents_registration_is_404_not_403(client_a, client_b):
    theirs = post(client_b, body(2)).json()
    response = client_a.get(f"{REGISTRATIONS}/{theirs['id']}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}
    assert client_b.get(f"{REGISTRATIONS}/{theirs['id']}").status_code == 200


def test_list_filters_by_status_and_updated_since(client_a):
    first = post(client_a, body(1)).json()
    second = post(client_a, body(2)).json()
    Participant.objects.filter(registration__id=first["id"]).update(status="active")
    active = client_a.get(REGISTRATIONS, {"status": "active"}).json()["results"]
    assert [r["id"] for r in active] == [first["id"]]

    later = timezone.now() + datetime.timedelta(seconds=1)
    Registration.objects.filter(pk=second["id"]).update(updated_at=later)
    since = client_a.get(REGISTRATIONS, {"updated_since": later.isoformat()}).json()["results"]
    assert [r["id"] for r in since] == [second["id"]]


def test_bad_filters_are_validation_errors(client_a):
    response = client_a.get(REGISTRATIONS, {"status": "happy", "updated_since": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"status", "updated_since"}


@pytest.mark.parametrize(
    "query",
    [
        {"status": ""},
        {"updated_since": " "},
        {"page_size": "0"},
        {"page_size": "201"},
        {"page_size": "ten"},
        {"page_size": "\u0661"},
        {"page_size": ""},
    ],
)
def test_empty_filters_and_bad_page_sizes_are_refused_not_ignored(client_a, query):
    post(client_a, body(1))
    response = client_a.get(REGISTRATIONS, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == set(query)


def test_list_pages_with_a_cursor_newest_first(client_a):
    client_a.post(SYNC, {"items": [body(n) for n in range(1, 8)]}, format="json")
    first = client_a.get(REGISTRATIONS, {"page_size": 5}).json()
    second = client_a.get(first["next"]).json()
    ids = [r["id"] for r in first["results"]] + [r["id"] for r in second["results"]]
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 7 and second["next"] is None


def test_list_query_count_does_not_depend_on_page_size(client_a):
    client_a.post(SYNC, {"items": [body(n) for n in range(1, 41)]}, format="json")
    counts = []
    for size in (2, 40):
        with CaptureQueriesContext(connection) as captured:
            assert len(client_a.get(REGISTRATIONS, {"page_size": size}).json()["results"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_responses_mask_the_nik(client_a):
    item = body(1)
    created = post(client_a, item).json()
    listed = client_a.get(REGISTRATIONS).content.decode()
    detail = client_a.get(f"{REGISTRATIONS}/{created['id']}").content.decode()
    for content in (listed, detail):
        assert item["nik"] not in content
        assert f"************{item['nik'][-4:]}" in content
