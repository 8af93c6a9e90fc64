"""Which workers and consents are refused as impossible, and which are flagged."""

import copy
import datetime

import pytest

from enrollments.models import Participant, Registration
from enrollments.plausibility import (
    PlausibilityError,
    age_on,
    birth_date_warnings,
    consent_warnings,
)
from tests.builders import EXAMPLE, SYNC, body, post

CAPTURED = EXAMPLE["captured_at"]  # 20 November 2026, 09:15 WITA
CAPTURE_DAY = datetime.date(2026, 11, 20)


def at_capture(n: int, **changes) -> dict:
    """A valid body captured (and consented to) on the example's fixed day."""
    changes.setdefault("consent", copy.deepcopy(EXAMPLE["consent"]))
    return body(n, captured_at=CAPTURED, **changes)


# The pure rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (datetime.date(1990, 7, 5), datetime.date(2026, 7, 4), 35),
        (datetime.date(1990, 7, 5), datetime.date(2026, 7, 5), 36),
        (datetime.date(2008, 2, 29), datetime.date(2026, 2, 28), 17),
        (datetime.date(2008, 2, 29), datetime.date(2026, 3, 1), 18),
        (datetime.date(1, 1, 1), CAPTURE_DAY, 2025),
    ],
)
def test_age_in_whole_years(born, on, age):
    assert age_on(born, on) == age


@pytest.mark.parametrize(
    ("born", "jht", "warnings"),
    [
        (datetime.date(1990, 7, 5), True, []),
        (datetime.date(2011, 11, 20), False, ["age_under_18"]),  # 15 today
        (datetime.date(2008, 11, 20), False, []),  # 18 today
        (datetime.date(1970, 11, 20), True, ["jht_at_payout_age"]),  # 56 today
        (datetime.date(1970, 11, 20), False, []),
        (datetime.date(1961, 11, 20), False, ["age_over_enrolment_limit"]),  # 65
        (datetime.date(1906, 11, 20), True, ["age_over_enrolment_limit", "jht_at_payout_age"]),
    ],
)
def test_unusual_ages_are_warnings(born, jht, warnings):
    assert birth_date_warnings(born, captured_on=CAPTURE_DAY, includes_jht=jht) == warnings


@pytest.mark.parametrize(
    ("born", "code"),
    [
        (datetime.date(2021, 11, 20), "too_young"),  # 5
        (datetime.date(2011, 11, 21), "too_young"),  # 15 tomorrow
        (datetime.date(1905, 11, 19), "too_old"),  # 121
        (datetime.date(1800, 1, 1), "too_old"),
        (datetime.date(1, 1, 1), "too_old"),
    ],
)
def test_impossible_ages_are_refused(born, code):
    with pytest.raises(PlausibilityError) as raised:
        birth_date_warnings(born, captured_on=CAPTURE_DAY, includes_jht=False)
    assert (raised.value.field, raised.value.code) == ("birth_date", code)


CAPTURE = datetime.datetime(2026, 11, 20, 9, 15, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("consent_at", "outcome"),
    [
        (CAPTURE, []),
        (CAPTURE - datetime.timedelta(hours=23), []),
        (CAPTURE + datetime.timedelta(hours=23), []),
        (CAPTURE - datetime.timedelta(days=3), ["consent_before_capture"]),
        (CAPTURE - datetime.timedelta(days=30), ["consent_before_capture"]),
        (CAPTURE - datetime.timedelta(days=31), "consent_long_before_capture"),
        (datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC), "consent_long_before_capture"),
        (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), "consent_long_before_capture"),
        (CAPTURE + datetime.timedelta(days=2), "consent_after_capture"),
    ],
)
def test_consent_times_far_from_the_capture(consent_at, outcome):
    if isinstance(outcome, list):
        assert consent_warnings(consent_at, captured_at=CAPTURE) == outcome
        return
    with pytest.raises(PlausibilityError) as raised:
        consent_warnings(consent_at, captured_at=CAPTURE)
    assert (raised.value.field, raised.value.code) == ("consent.at", outcome)


# Over HTTP, on the database ----------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _refused(response, path: list[str]) -> str:
    assert response.status_code == 400, response.json()
    body_ = response.json()
    assert body_["code"] == "validation_error"
    errors = body_["fields"]
    for key in path:
        errors = errors[key]
    return errors[0]


@pytestmark_db
@pytest.mark.parametrize(
    ("birth_date", "message"),
    [
        ("2021-11-20", "The worker must be at least 15 years old on the capture day."),
        ("1800-01-01", "This is not a plausible date of birth."),
        ("0001-01-01", "This is not a plausible date of birth."),
    ],
)
def test_an_impossible_birth_date_is_refused_and_nothing_stored(client_a, birth_date, message):
    response = post(client_a, at_capture(1, birth_date=birth_date), HTTP_ACCEPT_LANGUAGE="en")
    assert _refused(response, ["birth_date"]) == message
    assert not Participant.objects.exists()


@pytestmark_db
def test_the_refusal_of_a_child_speaks_indonesian(client_a):
    response = post(client_a, at_capture(1, birth_date="2021-11-20"))
    assert _refused(response, ["birth_date"]) == (
        "Pekerja harus berusia paling sedikit 15 tahun pada hari perekaman."
    )


@pytestmark_db
@pytest.mark.parametrize("consent_at", ["0001-01-01T00:00:00Z", "1900-01-01T00:00:00+07:00"])
def test_a_consent_given_long_before_the_capture_is_refused(client_a, consent_at):
    payload = at_capture(1, consent={"given": True, "method": "signature", "at": consent_at})
    response = post(client_a, payload, HTTP_ACCEPT_LANGUAGE="en")
    assert _refused(response, ["consent", "at"]) == (
        "The consent was given long before the capture: ask the worker again."
    )
    assert not Registration.objects.exists()


@pytestmark_db
def test_unusual_workers_are_registered_with_warnings(client_a):
    older = post(
        client_a, at_capture(1, birth_date="1960-03-01"), HTTP_ACCEPT_LANGUAGE="en"
    )  # 66, with JHT
    assert older.status_code == 201, older.json()
    warnings = {w["code"]: w["message"] for w in older.json()["warnings"]}
    assert warnings["age_over_enrolment_limit"] == (
        "The worker is 65 or older: check the age limit for new BPU participants."
    )
    assert "jht_at_payout_age" in warnings
    young = post(client_a, at_capture(2, birth_date="2010-01-01", programs=["JKK", "JKM"]))
    assert young.status_code == 201, young.json()
    assert "age_under_18" in {w["code"] for w in young.json()["warnings"]}
    assert Registration.objects.get(pk=young.json()["id"]).warnings == [
        "nik_birth_date_mismatch",
        "age_under_18",
    ]


@pytestmark_db
@pytest.mark.parametrize(
    "name",
    [
        "\u200b\u200b\u200b",
        "Wa Ode \u202eittiS",
        "Wa Ode\nSitti",
        "Wa Ode\u2067Sitti\u2069",
        "...",
    ],
)
def test_a_name_that_hides_something_or_has_no_letter_is_refused(client_a, name):
    response = post(client_a, at_capture(1, full_name=name))
    assert set(response.json()["fields"]) == {"full_name"}, response.json()
    assert response.status_code == 400
    assert not Participant.objects.exists()


@pytestmark_db
def test_a_name_is_stored_normalised(client_a):
    response = post(client_a, at_capture(1, full_name="  Wa  Ode\u00a0Sitti\u0301 "))
    assert response.status_code == 201, response.json()
    assert response.json()["full_name"] == "Wa Ode Sitt\u00ed"
    assert Participant.objects.get().full_name == "Wa Ode Sitt\u00ed"


@pytestmark_db
def test_sync_answers_the_same_refusals_item_by_item(client_a):
    items = [
        at_capture(1, full_name="Wa Ode \u202eittiS"),
        at_capture(2, birth_date="1800-01-01"),
        at_capture(3, consent={"given": True, "method": "signature", "at": "1900-01-01T00:00:00Z"}),
        at_capture(4),
    ]
    results = client_a.post(SYNC, {"items": items}, format="json").json()["results"]
    assert [r["result"] for r in results] == ["invalid", "invalid", "invalid", "created"]
    assert [sorted(r["error"]["fields"]) for r in results[:3]] == [
        ["full_name"],
        ["birth_date"],
        ["consent"],
    ]
    assert Participant.objects.count() == 1
