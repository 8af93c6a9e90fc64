import types

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from agents import services
from agents.models import AgentStatus
from tests.builders import PASSWORD, active_agent, apply_agent, new_nik
from tests.races import race, run_together

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"
REFRESH = "/api/v1/auth/token/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/agent/me"
# Long windows: a count that must add up exactly cannot be split by a window boundary.
WINDOW = 1_000_000


def sign_in(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **extra)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.mark.parametrize("username", ["KDI-0001", "kdi-0001", "081234500001", "+62 812-3450-0001"])
def test_an_agent_signs_in_with_code_or_phone(api_client, kendari, username):
    active_agent(kendari, phone="081234500001")
    response = sign_in(api_client, username)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"access", "refresh"}
    me = bearer(body["access"]).get(ME)
    assert me.status_code == 200
    assert me.json()["code"] == "KDI-0001"


@pytest.mark.parametrize(("username", "password"), [("KDI-0001", "wrong"), ("KDI-9999", PASSWORD)])
def test_wrong_password_or_unknown_user_get_the_same_401(api_client, kendari, username, password):
    active_agent(kendari)
    response = sign_in(api_client, username, password, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Wrong username or password.",
    }


def test_sign_in_errors_speak_indonesian_by_default(api_client, kendari):
    response = sign_in(api_client, "KDI-0404", "salah")
    assert response.json()["message"] == "Nama pengguna atau kata sandi salah."


def test_a_deactivated_agent_is_told_so_only_with_the_right_password(api_client, kendari):
    agent = active_agent(kendari)
    services.agent_deactivate(agent=agent, by=None, reason="Tidak aktif")
    assert sign_in(api_client, agent.code, "wrong").status_code == 401
    response = sign_in(api_client, agent.code)
    assert response.status_code == 403
    assert response.json()["code"] == "agent_not_active"
    assert response.json()["status"] == AgentStatus.DEACTIVATED


def test_an_applicant_cannot_sign_in_yet(api_client, kendari):
    agent = apply_agent(kendari)
    assert sign_in(api_client, agent.code).json()["code"] == "agent_not_active"


def test_refresh_rotates_and_the_old_refresh_token_is_dead(api_client, kendari):
    agent = active_agent(kendari)
    first = sign_in(api_client, agent.code).json()
    rotated = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh"] != first["refresh"]
    assert bearer(second["access"]).get(ME).status_code == 200
    replay = api_client.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.json()["code"] == "not_authenticated"


def test_logout_revokes_the_refresh_token_and_is_idempotent(api_client, kendari):
    agent = active_agent(kendari)
    tokens = sign_in(api_client, agent.code).json()
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert api_client.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    refused = api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_logout_with_a_forged_token_is_401(api_client):
    response = api_client.post(LOGOUT, {"refresh": "not.a.token"}, format="json")
    assert response.status_code == 401


def test_sign_in_without_fields_is_a_validation_error(api_client):
    response = api_client.post(TOKEN, {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["fields"]) == {"username", "password"}


@pytest.mark.parametrize("final", ["deactivate", "terminate"])
def test_a_still_valid_token_is_refused_at_once_when_the_agent_stops_being_active(
    api_client, kendari, final
):
    agent = active_agent(kendari)
    tokens = sign_in(api_client, agent.code).json()
    client = bearer(tokens["access"])
    assert client.get(ME).status_code == 200

    getattr(services, f"agent_{final}")(agent=agent, by=None, reason="Diuji")

    response = client.get(ME, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response.json()["code"] == "agent_not_active"
    # ...and the refresh token was revoked with it.
    assert (
        api_client.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 401
    )


def test_a_staff_token_is_not_an_agent(api_client, staff_user):
    tokens = sign_in(api_client, "staff", "correct horse battery").json()
    response = bearer(tokens["access"]).get(ME)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_me_shows_profile_masked_nik_and_zero_figures(api_client, kendari):
    nik = new_nik(6061)
    agent = active_agent(kendari, nik=nik, full_name="Wa Ode Sitti")
    response = bearer(sign_in(api_client, agent.code).json()["access"]).get(ME)
    body = response.json()
    assert nik not in response.content.decode()
    assert body["nik_masked"] == "************6061"
    assert body["full_name"] == "Wa Ode Sitti"
    assert body["status"] == "active"
    assert body["branch"] == {
        "code": "KDI",
        "name": "Kendari",
        "time_zone": "Asia/Makassar",
        "region": "KW-SULAMA",
    }
    assert body["kantor_perisai"] is None
    assert body["month"]["period"] == kendari.local_today().strftime("%Y-%m")
    assert {
        k: body["month"][k] for k in ("registrations", "activations", "contributions", "fee")
    } == {
        "registrations": 0,
        "activations": 0,
        "contributions": 0,
        "fee": 0,
    }


def test_me_figures_come_from_the_configured_providers(api_client, kendari, settings):
    settings.AGENT_FIGURES_PROVIDERS = ["tests.agents.test_auth_api.seven_registrations"]
    agent = active_agent(kendari)
    body = bearer(sign_in(api_client, agent.code).json()["access"]).get(ME).json()
    assert body["month"]["registrations"] == 7
    assert body["month"]["fee"] == 0


def seven_registrations(*, agent, period):
    return {"registrations": 7}


def test_me_costs_a_fixed_number_of_queries(api_client, kendari, django_assert_num_queries):
    agent = active_agent(kendari)
    client = bearer(sign_in(api_client, agent.code).json()["access"])
    # The user with agent and branch; the profile; three aggregates for the month's
    # registrations, activations and contributions; one for the fee; for the recruits,
    # next month's fee scheme, one aggregate of the active ones and one of the cohorts.
    with django_assert_num_queries(9):
        assert client.get(ME).status_code == 200


def test_signing_in_is_throttled_per_username(api_client, kendari, settings):
    settings.AUTH_THROTTLE_USERNAME = (3, WINDOW)
    agent = active_agent(kendari)
    for _ in range(3):
        assert sign_in(api_client, agent.code, "wrong").status_code == 401
    locked = sign_in(api_client, agent.code, HTTP_ACCEPT_LANGUAGE="en")  # right password
    assert locked.status_code == 429
    assert locked.json()["code"] == "throttled"
    assert 1 <= int(locked["Retry-After"]) <= WINDOW
    # The same username typed differently is the same username.
    assert sign_in(api_client, agent.code.lower()).status_code == 429


def test_signing_in_is_throttled_per_client_ip(api_client, kendari, settings):
    settings.AUTH_THROTTLE_IP = (2, WINDOW)
    ip = {"REMOTE_ADDR": "203.0.113.77"}
    assert sign_in(api_client, "KDI-0101", "x", **ip).status_code == 401
    assert sign_in(api_client, "KDI-0102", "x", **ip).status_code == 401
    assert sign_in(api_client, "KDI-0103", "x", **ip).status_code == 429
    assert sign_in(api_client, "KDI-0103", "x", REMOTE_ADDR="203.0.113.78").status_code == 401


def test_a_successful_sign_in_clears_the_username_count(api_client, kendari, settings):
    settings.AUTH_THROTTLE_USERNAME = (3, WINDOW)
    agent = active_agent(kendari)
    for _ in range(2):
        sign_in(api_client, agent.code, "wrong")
    assert sign_in(api_client, agent.code).status_code == 200
    for _ in range(3):
        assert sign_in(api_client, agent.code, "wrong").status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_throttling_holds_under_concurrent_attempts(kendari):
    agent = active_agent(kendari)
    attempts, limit = 16, 4
    with override_settings(AUTH_THROTTLE_USERNAME=(limit, WINDOW)):
        statuses = race(lambda _: sign_in(APIClient(), agent.code, "wrong").status_code, attempts)

    assert sorted(statuses) == [401] * limit + [429] * (attempts - limit)


def test_the_lockout_is_per_account_whatever_identifier_names_it(api_client, kendari, settings):
    settings.AUTH_THROTTLE_USERNAME = (4, WINDOW)
    agent = active_agent(kendari, phone="081241000002")
    other = active_agent(kendari)
    # Bad passwords spread over the agent's code and phone in several formats.
    for username in [agent.code, "081241000002", "+62 812-4100-0002", "6281241000002"]:
        assert sign_in(api_client, username, "wrong").status_code == 401
    for username in [agent.code, "081241000002", "+6281241000002"]:
        locked = sign_in(api_client, username)  # the right password
        assert locked.status_code == 429, username
        assert locked.json()["code"] == "throttled"
    # Another account is not affected.
    assert sign_in(api_client, other.code).status_code == 200


def test_a_staff_account_is_locked_out_by_its_username(api_client, staff_user, settings):
    settings.AUTH_THROTTLE_USERNAME = (2, WINDOW)
    for _ in range(2):
        assert sign_in(api_client, "staff", "wrong").status_code == 401
    assert sign_in(api_client, "staff", "correct horse battery").status_code == 429


def test_an_unknown_identifier_is_answered_like_a_known_one(api_client, kendari, settings):
    settings.AUTH_THROTTLE_USERNAME = (3, WINDOW)
    agent = active_agent(kendari, phone="081241000003")
    known = [sign_in(api_client, agent.code, "wrong") for _ in range(4)]
    unknown = [sign_in(api_client, "KDI-9999", "wrong") for _ in range(4)]
    unknown_phone = [sign_in(api_client, "081299999999", "wrong") for _ in range(4)]
    for responses in (known, unknown, unknown_phone):
        assert [r.status_code for r in responses] == [401, 401, 401, 429]
        assert [r.json() for r in responses[:3]] == [known[0].json()] * 3
        assert responses[3].json()["code"] == "throttled"
    # An unknown identifier is counted by what was typed, normalised like a real one.
    assert sign_in(api_client, "kdi-9999", "wrong").status_code == 429
    assert sign_in(api_client, "+62 812-9999-9999", "wrong").status_code == 429


def test_retry_after_is_what_is_left_of_the_clock_aligned_window(
    api_client, kendari, settings, monkeypatch
):
    import core.throttling

    settings.AUTH_THROTTLE_USERNAME = (1, 900)
    window_start = 1_800_000_000 // 900 * 900
    clock = types.SimpleNamespace(time=lambda: window_start + 824.5)
    monkeypatch.setattr(core.throttling, "time", clock)
    agent = active_agent(kendari)
    assert sign_in(api_client, agent.code, "wrong").status_code == 401
    locked = sign_in(api_client, agent.code)
    assert locked.status_code == 429
    assert locked["Retry-After"] == "76"
    # The next window starts afresh.
    clock.time = lambda: window_start + 900.5
    assert sign_in(api_client, agent.code).status_code == 200


def test_successful_sign_ins_do_not_use_up_the_address(kendari, settings):
    settings.AUTH_THROTTLE_IP = (100, WINDOW)
    agents = [active_agent(kendari) for _ in range(150)]
    client = APIClient()
    ip = {"REMOTE_ADDR": "203.0.113.50"}
    statuses = [sign_in(client, agent.code, **ip).status_code for agent in agents]
    assert statuses == [200] * 150
    # Failures still count against the address, up to its limit.
    failures = [sign_in(client, f"KDI-9{n:03d}", "wrong", **ip).status_code for n in range(101)]
    assert failures == [401] * 100 + [429]
    assert sign_in(client, agents[0].code, **ip).status_code == 429
    assert sign_in(client, agents[0].code, REMOTE_ADDR="203.0.113.51").status_code == 200


def test_a_success_gives_back_only_its_own_slot(api_client, kendari, settings):
    settings.AUTH_THROTTLE_IP = (3, WINDOW)
    agent = active_agent(kendari)
    ip = {"REMOTE_ADDR": "203.0.113.60"}
    for n in range(2):
        assert sign_in(api_client, f"KDI-9{n:03d}", "x", **ip).status_code == 401
    for _ in range(5):
        assert sign_in(api_client, agent.code, **ip).status_code == 200
    assert sign_in(api_client, "KDI-9100", "x", **ip).status_code == 401
    assert sign_in(api_client, "KDI-9101", "x", **ip).status_code == 429


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_address_limit_counts_failures_exactly_under_concurrent_attempts(kendari):
    """Concurrent successes give their slots back without losing any; concurrent failures
    cannot get more guesses past the address's limit than it allows."""
    agents = [active_agent(kendari) for _ in range(8)]
    ip = {"REMOTE_ADDR": "203.0.113.70"}
    limit = 8
    with override_settings(AUTH_THROTTLE_IP=(limit, WINDOW)):
        successes = run_together(
            *(lambda a=agent: sign_in(APIClient(), a.code, **ip).status_code for agent in agents)
        )
        assert successes == [200] * len(agents)
        failures = race(
            lambda n: sign_in(APIClient(), f"KDI-9{n:03d}", "wrong", **ip).status_code, 14
        )
    assert sorted(failures) == [401] * limit + [429] * (14 - limit)
