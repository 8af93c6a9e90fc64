"""Agents' follow-up contacts with their recruits, online or from the app's offline
queue: a result per item, each item in its own transaction, replay-safe by
``client_uuid`` exactly like the registration sync."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from core.exceptions import ApplicationError, InvalidInputError
from enrollments.errors import ClientUuidConflictError
from enrollments.models import (
    ContactOutcome,
    DeathReport,
    FollowUpContact,
    Participant,
    Registration,
)
from enrollments.services.registrations import Outcome

logger = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 500


@dataclass(frozen=True)
class ContactInput:
    client_uuid: uuid.UUID
    registration_id: int
    contacted_at: datetime.datetime
    method: str
    outcome: str
    promised_on: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class ContactResult:
    client_uuid: uuid.UUID
    outcome: Outcome
    contact: FollowUpContact | None = None
    error: ApplicationError | None = None


def _invalid(field_name: str, message: str) -> InvalidInputError:
    return InvalidInputError(fields={field_name: [message]})


def _checked(item: ContactInput, registration: Registration | None) -> Registration:
    if registration is None:
        # Someone else's recruit is not found, never forbidden.
        raise _invalid("registration_id", _("No registration of yours has this id."))
    skew = datetime.timedelta(seconds=settings.REGISTRATION_CLOCK_SKEW_SECONDS)
    if item.contacted_at > timezone.now() + skew:
        raise _invalid("contacted_at", _("The contact time is in the future."))
    if item.contacted_at < registration.captured_at - skew:
        raise _invalid("contacted_at", _("The contact time is before the registration."))
    if item.outcome == ContactOutcome.PROMISED:
        if item.promised_on is None:
            raise _invalid("promised_on", _("Say on which day the worker promised to pay."))
        contacted_on = item.contacted_at.astimezone(registration.participant.branch.zone).date()
        if item.promised_on < contacted_on:
            raise _invalid("promised_on", _("The promised day is before the contact."))
    elif item.promised_on is not None:
        raise _invalid("promised_on", _("Only a promise to pay has a promised day."))
    return registration


def _existing_result(item: ContactInput, found: FollowUpContact, agent: Agent) -> ContactResult:
    if found.agent_id == agent.pk and found.registration_id == item.registration_id:
        return ContactResult(item.client_uuid, Outcome.DUPLICATE, found)
    return ContactResult(item.client_uuid, Outcome.CONFLICT, error=ClientUuidConflictError())


def _record_one(item: ContactInput, registration: Registration, agent: Agent) -> FollowUpContact:
    contact = FollowUpContact.objects.create(
        client_uuid=item.client_uuid,
        agent=agent,
        registration=registration,
        contacted_at=item.contacted_at,
        method=item.method,
        outcome=item.outcome,
        promised_on=item.promised_on,
        note=item.note.strip()[:NOTE_MAX_LENGTH],
    )
    if item.outcome == ContactOutcome.DECEASED:
        _death_reported(registration.participant, contact)
    return contact


def _death_reported(participant: Participant, contact: FollowUpContact) -> None:
    """Opens the branch's case (once per participant) and stops every reminder."""
    DeathReport.objects.get_or_create(
        participant=participant,
        defaults={"branch_id": participant.branch_id, "contact": contact},
    )
    if participant.reminders_stopped_at is None:
        participant.reminders_stopped_at = timezone.now()
        participant.save(update_fields=["reminders_stopped_at", "updated_at"])


def contacts_record(*, agent: Agent, items: Sequence[ContactInput]) -> list[ContactResult]:
    """Records ``items`` for ``agent``; a result per item, in order. Lookups are batched;
    each new contact is written in its own savepoint, so one item's refusal never
    affects another's."""
    registrations = {
        registration.pk: registration
        for registration in Registration.objects.filter(
            agent=agent, pk__in={item.registration_id for item in items}
        ).select_related("participant", "participant__branch")
    }
    existing = FollowUpContact.objects.in_bulk(
        [item.client_uuid for item in items], field_name="client_uuid"
    )
    results: list[ContactResult] = []
    for item in items:
        found = existing.get(item.client_uuid)
        if found is not None:
            results.append(_existing_result(item, found, agent))
            continue
        try:
            registration = _checked(item, registrations.get(item.registration_id))
            with transaction.atomic():
                contact = _record_one(item, registration, agent)
        except InvalidInputError as error:
            results.append(ContactResult(item.client_uuid, Outcome.INVALID, error=error))
            continue
        except IntegrityError:
            # The same client_uuid arrived at once in another request (a retry) and
            # committed first: answer as for a replay.
            found = FollowUpContact.objects.filter(client_uuid=item.client_uuid).first()
            if found is None:
                raise
            results.append(_existing_result(item, found, agent))
            continue
        existing[item.client_uuid] = contact
        results.append(ContactResult(item.client_uuid, Outcome.CREATED, contact))
    logger.info(
        "follow-up contacts received",
        extra={
            "agent": agent.code,
            "items": len(items),
            "new": sum(1 for result in results if result.outcome == Outcome.CREATED),
        },
    )
    return results


@transaction.atomic
def death_reports_close(*, reports: Sequence[DeathReport], resolution: str) -> int:
    """Closes the branch's cases (the family was visited, the claim is under way or not
    wanted); reminders stay stopped. Returns how many were open."""
    open_ids = [report.pk for report in reports if report.status == DeathReport.Status.OPEN]
    return DeathReport.objects.filter(pk__in=open_ids, status=DeathReport.Status.OPEN).update(
        status=DeathReport.Status.CLOSED,
        resolution=resolution.strip()[:500],
        updated_at=timezone.now(),
    )
