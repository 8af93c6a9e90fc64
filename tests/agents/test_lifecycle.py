import datetime
from unittest import mock

import pytest
from django.db import DatabaseError, transaction

from agents import services
from agents.errors import (
    AgentDuplicateNikError,
    AgentDuplicatePhoneError,
    AgentInvalidTransitionError,
    AgentIsBpjsEmployeeError,
    AgentReactivationTooEarlyError,
    AgentTrainingIncompleteError,
)
from agents.models import Agent, AgentStatus, AgentStatusChange, KantorPerisai
from core import crypto
from core.exceptions import InvalidInputError
from tests.builders import active_agent, apply_agent, new_nik, train
from tests.races import race

pytestmark = pytest.mark.django_db

Status = AgentStatus


def history(agent: Agent) -> list[tuple[str, str]]:
    return list(
        AgentStatusChange.objects.filter(agent=agent)
        .order_by("id")
        .values_list("from_status", "to_status")
    )


def test_application_gets_the_next_code_of_its_branch_and_a_history_row(kendari, manado):
    first = apply_agent(kendari)
    second = apply_agent(kendari)
    other = apply_agent(manado)
    assert (first.code, second.code, other.code) == ("KDI-0001", "KDI-0002", "MDO-0001")
    assert first.status == Status.APPLICANT
    assert first.user.username == "KDI-0001"
    assert history(first) == [("", Status.APPLICANT)]


def test_the_nik_is_stored_encrypted_and_found_by_its_keyed_hash(kendari):
    nik = new_nik(4242)
    agent = apply_agent(kendari, nik=nik, phone="+62 812-3456-7890")
    stored = Agent.objects.get(pk=agent.pk)
    assert nik not in stored.nik_ciphertext
    assert crypto.decrypt(stored.nik_ciphertext) == nik
    assert stored.nik_digest == crypto.keyed_digest(nik)
    assert stored.nik_masked == "************4242"
    assert stored.phone == "+6281234567890"


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("nik", {"nik": "1234"}),
        ("nik", {"nik": "9971010101900001"}),  # no province 99
        ("nik", {"nik": "7471013102900001"}),  # 31 February
        ("phone", {"phone": "021-555-1234"}),  # a landline
    ],
)
def test_an_invalid_application_is_refused_with_the_field_and_writes_nothing(
    kendari, field, overrides
):
    with pytest.raises(InvalidInputError) as raised:
        apply_agent(kendari, **overrides)
    assert field in (raised.value.fields or {})
    assert not Agent.objects.exists()
    kendari.refresh_from_db()
    assert kendari.last_agent_number == 0  # the code was not used up either


def test_a_kantor_perisai_of_another_branch_is_refused(kendari, manado):
    kantor = KantorPerisai.objects.create(code="KP-MDO-01", name="KP Manado", branch=manado)
    with pytest.raises(InvalidInputError) as raised:
        apply_agent(kendari, kantor_perisai=kantor)
    assert "kantor_perisai" in (raised.value.fields or {})


def test_activation_without_training_is_refused(kendari):
    agent = apply_agent(kendari)
    with pytest.raises(AgentTrainingIncompleteError) as raised:
        services.agent_activate(agent=agent, by=None)
    assert raised.value.code == "agent_training_incomplete"
    agent.refresh_from_db()
    assert agent.status == Status.APPLICANT
    assert history(agent) == [("", Status.APPLICANT)]


def test_activation_of_a_bpjs_employee_is_refused(kendari):
    agent = apply_agent(kendari, is_bpjs_employee=True)
    train(agent)
    with pytest.raises(AgentIsBpjsEmployeeError):
        services.agent_activate(agent=agent, by=None)
    agent.refresh_from_db()
    assert agent.status == Status.APPLICANT


def test_activation_with_the_nik_of_an_active_agent_is_refused(kendari, manado):
    nik = new_nik(777)
    active_agent(kendari, nik=nik)
    second = apply_agent(manado, nik=nik)
    train(second)
    with pytest.raises(AgentDuplicateNikError):
        services.agent_activate(agent=second, by=None)


def test_activation_with_the_phone_of_an_active_agent_is_refused(kendari):
    active_agent(kendari, phone="081299990000")
    second = apply_agent(kendari, phone="+6281299990000")
    train(second)
    with pytest.raises(AgentDuplicatePhoneError):
        services.agent_activate(agent=second, by=None)


def test_activation_records_who_when_and_how(kendari, staff_user):
    agent = apply_agent(kendari)
    train(agent)
    agent = services.agent_activate(agent=agent, by=staff_user, reason="Lulus pelatihan")
    assert agent.status == Status.ACTIVE
    assert agent.activated_at is not None
    change = AgentStatusChange.objects.filter(agent=agent).latest("id")
    assert (change.from_status, change.to_status) == (Status.APPLICANT, Status.ACTIVE)
    assert change.changed_by == staff_user
    assert change.reason == "Lulus pelatihan"
    assert change.channel == AgentStatusChange.Channel.ADMIN


def test_an_active_agent_cannot_be_activated_again(kendari):
    agent = active_agent(kendari)
    with pytest.raises(AgentInvalidTransitionError) as raised:
        services.agent_activate(agent=agent, by=None)
    assert raised.value.code == "agent_invalid_transition"


def test_deactivation_needs_a_reason_and_records_it(kendari):
    agent = active_agent(kendari)
    with pytest.raises(InvalidInputError) as raised:
        services.agent_deactivate(agent=agent, by=None, reason="  ")
    assert "reason" in (raised.value.fields or {})
    agent = services.agent_deactivate(agent=agent, by=None, reason="Tidak aktif 3 bulan")
    assert agent.status == Status.DEACTIVATED
    assert agent.deactivated_at is not None
    assert history(agent)[-1] == (Status.ACTIVE, Status.DEACTIVATED)


def test_only_an_active_agent_can_be_deactivated(kendari):
    agent = apply_agent(kendari)
    with pytest.raises(AgentInvalidTransitionError):
        services.agent_deactivate(agent=agent, by=None, reason="x")


def test_reactivation_is_refused_before_six_months_and_allowed_after(kendari):
    agent = active_agent(kendari)
    deactivated_at = datetime.datetime(2026, 3, 31, 4, 0, tzinfo=datetime.UTC)  # 31 Mar WITA
    with mock.patch("django.utils.timezone.now", return_value=deactivated_at):
        agent = services.agent_deactivate(agent=agent, by=None, reason="Tidak aktif")

    almost = datetime.datetime(2026, 9, 29, 15, 0, tzinfo=datetime.UTC)  # 29 Sep 23:00 WITA
    with (
        mock.patch("django.utils.timezone.now", return_value=almost),
        pytest.raises(AgentReactivationTooEarlyError) as raised,
    ):
        services.agent_reactivate(agent=agent, by=None, reason="Kembali")
    assert "2026-09-30" in str(raised.value.message)  # 31 March + 6 months, clamped

    on_the_day = datetime.datetime(2026, 9, 29, 16, 0, tzinfo=datetime.UTC)  # 30 Sep 00:00 WITA
    with mock.patch("django.utils.timezone.now", return_value=on_the_day):
        agent = services.agent_reactivate(agent=agent, by=None, reason="Kembali aktif")
    assert agent.status == Status.ACTIVE
    assert history(agent)[-1] == (Status.DEACTIVATED, Status.ACTIVE)


@pytest.mark.parametrize("start", ["applicant", "active", "deactivated"])
def test_termination_is_final(kendari, start):
    agent = apply_agent(kendari) if start == "applicant" else active_agent(kendari)
    if start == "deactivated":
        agent = services.agent_deactivate(agent=agent, by=None, reason="Tidak aktif")
    agent = services.agent_terminate(agent=agent, by=None, reason="Pendaftaran fiktif")
    assert agent.status == Status.TERMINATED
    assert history(agent)[-1] == (start, Status.TERMINATED)
    for transition in (services.agent_activate, services.agent_reactivate):
        with pytest.raises(AgentInvalidTransitionError):
            transition(agent=agent, by=None, reason="coba lagi")
    with pytest.raises(AgentInvalidTransitionError):
        services.agent_terminate(agent=agent, by=None, reason="lagi")


def test_a_terminated_agent_cannot_come_back_under_a_new_application(kendari):
    nik = new_nik(888)
    agent = active_agent(kendari, nik=nik)
    services.agent_terminate(agent=agent, by=None, reason="Fraud")
    again = apply_agent(kendari, nik=nik)
    train(again)
    with pytest.raises(AgentDuplicateNikError):
        services.agent_activate(agent=again, by=None)


def test_a_training_cannot_be_recorded_before_it_happened(kendari):
    agent = apply_agent(kendari)
    with pytest.raises(InvalidInputError) as raised:
        services.agent_training_record(
            agent=agent,
            completed_on=kendari.local_today() + datetime.timedelta(days=1),
            trainer="Tim",
            branch=kendari,
            by=None,
        )
    assert "completed_on" in (raised.value.fields or {})


def test_agent_update_refuses_the_nik_and_code(kendari):
    agent = apply_agent(kendari)
    with pytest.raises(InvalidInputError) as raised:
        services.agent_update(agent=agent, data={"code": "KDI-9999", "nik_digest": "x"}, by=None)
    assert set(raised.value.fields or {}) == {"code", "nik_digest"}


@pytest.mark.postgres
def test_the_status_history_is_append_only_in_the_database(kendari):
    agent = apply_agent(kendari)
    change = AgentStatusChange.objects.get(agent=agent)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AgentStatusChange.objects.filter(pk=change.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AgentStatusChange.objects.filter(pk=change.pk).delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_activations_of_the_same_nik_let_exactly_one_through(kendari, manado):
    nik = new_nik(5150)
    applicants = [apply_agent(kendari, nik=nik), apply_agent(manado, nik=nik)]
    for agent in applicants:
        train(agent)

    results = race(
        lambda i: services.agent_activate(agent=applicants[i], by=None), 2, return_exceptions=True
    )

    activated = [r for r in results if isinstance(r, Agent)]
    refused = [r for r in results if isinstance(r, AgentDuplicateNikError)]
    assert (len(activated), len(refused)) == (1, 1), results
    assert Agent.objects.filter(status=Status.ACTIVE).count() == 1
    assert AgentStatusChange.objects.filter(to_status=Status.ACTIVE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_applications_in_one_branch_get_distinct_codes(kendari):
    results = race(lambda i: apply_agent(kendari).code, 6)
    assert sorted(str(code) for code in results) == [f"KDI-{n:04d}" for n in range(1, 7)], results


@pytest.mark.parametrize("name", ["\u200b\u200b", "Agen \u202eX", "Agen\nSatu", "---"])
def test_an_agent_name_that_hides_something_or_has_no_letter_is_refused(kendari, name):
    with pytest.raises(InvalidInputError) as raised:
        apply_agent(kendari, full_name=name)
    assert set(raised.value.fields or {}) == {"full_name"}
    agent = apply_agent(kendari, full_name="  Agen\u00a0 Satu ")
    assert agent.full_name == "Agen Satu"
    with pytest.raises(InvalidInputError):
        services.agent_update(agent=agent, data={"full_name": "Agen\u200bSatu"}, by=None)
