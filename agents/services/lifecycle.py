"""The agent lifecycle (docs/architecture.md, "Agents"): apply -> activate ->
deactivate -> reactivate, and terminate, final. Each transition locks the agent's row,
checks its rules, and appends an AgentStatusChange in the same transaction."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from agents.errors import (
    AgentDuplicateNikError,
    AgentDuplicatePhoneError,
    AgentInvalidTransitionError,
    AgentIsBpjsEmployeeError,
    AgentReactivationTooEarlyError,
    AgentTrainingIncompleteError,
)
from agents.models import (
    Agent,
    AgentStatus,
    AgentStatusChange,
    AgentTraining,
    Branch,
    KantorPerisai,
)
from agents.signals import agent_terminated
from core.dates import add_months
from core.db import violated_constraint
from core.exceptions import InvalidInputError
from core.messages import nik_error_message, person_name_error_message, phone_error_message
from core.names import PersonNameError, normalise_person_name
from core.nik import NikError, parse_nik
from core.phone import PhoneError, normalise_phone
from core.services import model_update

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

Channel = AgentStatusChange.Channel
REACTIVATION_WAIT_MONTHS = 6
# Fields staff may correct after the application; the NIK and the code never change.
UPDATABLE_FIELDS = frozenset(
    {"full_name", "phone", "bank", "bank_account_number", "kantor_perisai", "is_bpjs_employee"}
)
ALLOWED = {
    AgentStatus.ACTIVE: {AgentStatus.APPLICANT},
    AgentStatus.DEACTIVATED: {AgentStatus.ACTIVE},
    AgentStatus.TERMINATED: {AgentStatus.APPLICANT, AgentStatus.ACTIVE, AgentStatus.DEACTIVATED},
}
REACTIVATE_FROM = {AgentStatus.DEACTIVATED}


def _invalid(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(fields={field: [message]})


def _every_field_checked(checks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Each check's value, by name; or one InvalidInputError naming every field refused,
    so a form shows them all at once."""
    values: dict[str, Any] = {}
    refused: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except InvalidInputError as exc:
            refused |= exc.fields or {}
    if refused:
        raise InvalidInputError(fields=refused)
    return values


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        raise _invalid("phone", phone_error_message()) from None


def _full_name(raw: str) -> str:
    try:
        return normalise_person_name(raw)
    except PersonNameError as error:
        raise _invalid("full_name", person_name_error_message(error)) from None


def _nik(raw: str, branch: Branch) -> str:
    try:
        return parse_nik(raw, today=branch.local_today()).value
    except NikError as error:
        raise _invalid("nik", nik_error_message(error)) from None


def _kantor_in_branch(kantor: KantorPerisai | None, branch: Branch) -> KantorPerisai | None:
    if kantor is not None and kantor.branch_id != branch.pk:
        raise _invalid("kantor_perisai", _("The Kantor Perisai must belong to the agent's branch."))
    return kantor


def _password_checked(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInputError(fields={"password": list(exc.messages)}) from None


def _next_agent_code(branch: Branch) -> str:
    # The branch row lock serialises concurrent applications in one branch.
    locked = Branch.objects.select_for_update().get(pk=branch.pk)
    locked.last_agent_number += 1
    locked.save(update_fields=["last_agent_number"])
    return f"{locked.code}-{locked.last_agent_number:04d}"


@transaction.atomic
def agent_apply(
    *,
    branch: Branch,
    full_name: str,
    nik: str,
    phone: str,
    bank: str,
    bank_account_number: str,
    password: str,
    kantor_perisai: KantorPerisai | None = None,
    is_bpjs_employee: bool = False,
    by: User | None,
    channel: str = Channel.ADMIN,
) -> Agent:
    """Records an application: a user account (username = the new agent code) and an
    agent in status ``applicant``. Duplicate NIKs and phones are refused at activation,
    where the database can enforce them."""
    checked = _every_field_checked(
        {
            "nik": lambda: _nik(nik, branch),
            "full_name": lambda: _full_name(full_name),
            "phone": lambda: _phone(phone),
            "kantor_perisai": lambda: _kantor_in_branch(kantor_perisai, branch),
        }
    )

    code = _next_agent_code(branch)
    user = get_user_model()(username=code)
    _password_checked(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()

    agent = Agent(
        user=user,
        code=code,
        full_name=checked["full_name"],
        phone=checked["phone"],
        bank=bank,
        bank_account_number=bank_account_number.strip(),
        branch=branch,
        kantor_perisai=kantor_perisai,
        is_bpjs_employee=is_bpjs_employee,
        status=AgentStatus.APPLICANT,
        status_changed_at=timezone.now(),
    )
    agent.set_nik(checked["nik"])
    agent.full_clean(exclude=["user"])
    agent.save()
    AgentStatusChange.objects.create(
        agent=agent,
        from_status="",
        to_status=AgentStatus.APPLICANT,
        changed_by=by,
        reason=_("Application recorded"),
        channel=channel,
    )
    logger.info("agent applied", extra={"agent": agent.code, "branch": branch.code})
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, data: Mapping[str, Any], by: User | None) -> Agent:
    """Corrects an agent's details. A phone change is checked against other agents
    who may sign in with it."""
    unknown = set(data) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidInputError(
            fields={name: [_("This field cannot be changed.")] for name in unknown}
        )
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    checks: dict[str, Callable[[], Any]] = {
        "full_name": lambda: _full_name(data["full_name"]),
        "phone": lambda: _phone(data["phone"]),
        "kantor_perisai": lambda: _kantor_in_branch(data["kantor_perisai"], agent.branch),
    }
    changes = dict(data) | _every_field_checked(
        {name: check for name, check in checks.items() if name in data}
    )
    try:
        with transaction.atomic():
            agent, _changed = model_update(instance=agent, data=changes)
    except IntegrityError as exc:
        raise _identity_error(exc) from None
    return agent


@transaction.atomic
def agent_password_set(*, agent: Agent, password: str, by: User | None) -> None:
    """Sets the agent's password and signs them out everywhere."""
    user = agent.user
    _password_checked(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    refresh_tokens_revoke(user=user)


@transaction.atomic
def agent_training_record(
    *,
    agent: Agent,
    completed_on: datetime.date,
    trainer: str,
    branch: Branch,
    by: User | None,
) -> AgentTraining:
    if completed_on > branch.local_today():
        raise _invalid("completed_on", _("A training is recorded once it has been completed."))
    training = AgentTraining(
        agent=agent,
        completed_on=completed_on,
        trainer=trainer.strip(),
        branch=branch,
        recorded_by=by,
    )
    training.full_clean()
    training.save()
    return training


def _identity_error(exc: IntegrityError) -> Exception:
    constraint = violated_constraint(exc)
    if constraint == "agent_nik_unique_once_activated":
        return AgentDuplicateNikError()
    if constraint == "agent_phone_unique_while_active":
        return AgentDuplicatePhoneError()
    return exc


def _identity_checks(agent: Agent) -> None:
    others = Agent.objects.exclude(pk=agent.pk)
    if others.filter(nik_digest=agent.nik_digest).exclude(status=AgentStatus.APPLICANT).exists():
        raise AgentDuplicateNikError()
    if others.filter(
        phone=agent.phone, status__in=[AgentStatus.ACTIVE, AgentStatus.DEACTIVATED]
    ).exists():
        raise AgentDuplicatePhoneError()
    if agent.is_bpjs_employee:
        raise AgentIsBpjsEmployeeError()


def _locked(agent: Agent, *, allowed_from: Collection[str]) -> Agent:
    locked = Agent.objects.select_for_update().select_related("user", "branch").get(pk=agent.pk)
    if locked.status not in allowed_from:
        raise AgentInvalidTransitionError(
            _("An agent in status %(status)s cannot make this change.")
            % {"status": locked.get_status_display()}
        )
    return locked


def _transition(
    agent: Agent,
    *,
    to: AgentStatus,
    by: User | None,
    reason: str,
    channel: str,
    fields: Mapping[str, Any] | None = None,
) -> Agent:
    from_status = agent.status
    now = timezone.now()
    agent.status = to
    agent.status_changed_at = now
    for name, value in (fields or {}).items():
        setattr(agent, name, value)
    try:
        # A savepoint: the partial unique indexes are the last word when two
        # activations of the same person race past the checks above.
        with transaction.atomic():
            agent.save(update_fields=["status", "status_changed_at", "updated_at", *(fields or {})])
    except IntegrityError as exc:
        raise _identity_error(exc) from None
    AgentStatusChange.objects.create(
        agent=agent,
        from_status=from_status,
        to_status=to,
        changed_by=by,
        changed_at=now,
        reason=reason,
        channel=channel,
    )
    logger.info(
        "agent status changed",
        extra={"agent": agent.code, "from": from_status, "to": str(to), "channel": channel},
    )
    return agent


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("Give a reason for this change."))
    return reason


@transaction.atomic
def agent_activate(
    *, agent: Agent, by: User | None, reason: str = "", channel: str = Channel.ADMIN
) -> Agent:
    """Activation needs a completed training, no other agent with the same NIK or
    phone, and someone who is not a BPJS Ketenagakerjaan employee."""
    agent = _locked(agent, allowed_from=ALLOWED[AgentStatus.ACTIVE])
    if not agent.trainings.exists():
        raise AgentTrainingIncompleteError()
    _identity_checks(agent)
    return _transition(
        agent,
        to=AgentStatus.ACTIVE,
        by=by,
        reason=reason.strip() or _("Activated"),
        channel=channel,
        fields={"activated_at": timezone.now()},
    )


@transaction.atomic
def agent_deactivate(
    *, agent: Agent, by: User | None, reason: str, channel: str = Channel.ADMIN
) -> Agent:
    """Manual deactivation; the automatic one (3 idle months) calls this with the
    task's channel. The agent's sessions end at once."""
    agent = _locked(agent, allowed_from=ALLOWED[AgentStatus.DEACTIVATED])
    agent = _transition(
        agent,
        to=AgentStatus.DEACTIVATED,
        by=by,
        reason=_reason_required(reason),
        channel=channel,
        fields={"deactivated_at": timezone.now()},
    )
    refresh_tokens_revoke(user=agent.user)
    return agent


def reactivation_possible_from(agent: Agent) -> datetime.date | None:
    if agent.deactivated_at is None:
        return None
    deactivated_on = agent.deactivated_at.astimezone(agent.branch.zone).date()
    return add_months(deactivated_on, REACTIVATION_WAIT_MONTHS)


@transaction.atomic
def agent_reactivate(
    *, agent: Agent, by: User | None, reason: str, channel: str = Channel.ADMIN
) -> Agent:
    """No sooner than six months after deactivation (the branch's calendar)."""
    agent = _locked(agent, allowed_from=REACTIVATE_FROM)
    possible_from = reactivation_possible_from(agent)
    if possible_from is not None and agent.branch.local_today() < possible_from:
        raise AgentReactivationTooEarlyError(
            _("This agent can be reactivated from %(date)s.") % {"date": possible_from.isoformat()}
        )
    _identity_checks(agent)
    return _transition(
        agent,
        to=AgentStatus.ACTIVE,
        by=by,
        reason=_reason_required(reason),
        channel=channel,
        fields={"activated_at": timezone.now()},
    )


@transaction.atomic
def agent_terminate(
    *, agent: Agent, by: User | None, reason: str, channel: str = Channel.ADMIN
) -> Agent:
    """Final, for fraud. The agent can never return."""
    agent = _locked(agent, allowed_from=ALLOWED[AgentStatus.TERMINATED])
    agent = _transition(
        agent, to=AgentStatus.TERMINATED, by=by, reason=_reason_required(reason), channel=channel
    )
    refresh_tokens_revoke(user=agent.user)
    agent_terminated.send(sender=Agent, agent=agent)
    return agent


def refresh_tokens_revoke(*, user: User) -> int:
    """Blacklists every refresh token of the user that is still valid."""
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)
