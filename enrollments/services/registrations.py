"""Registering workers, one at a time (online) or in offline batches (sync).

Both go through ``registrations_register``: validate each item against the NIK rules and
the reference data in force on the day it was captured, price it, and write the new ones
with batched lookups and inserts. Each item stands alone: one item's refusal never
affects another's result, and replaying an item (same ``client_uuid``) changes nothing,
however long afterwards.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from core.exceptions import ApplicationError, InvalidInputError
from core.messages import nik_error_message, person_name_error_message, phone_error_message
from core.models import Regency
from core.names import PersonNameError, normalise_person_name
from core.nik import NikError, ParsedNik, nik_warnings, parse_nik
from core.phone import PhoneError, normalise_phone
from enrollments import codes, plausibility, pricing
from enrollments.errors import (
    ClientUuidConflictError,
    ClientUuidReusedError,
    NikAlreadyRegisteredError,
)
from enrollments.models import (
    NumberReservation,
    Occupation,
    Participant,
    ParticipantStatus,
    Registration,
)
from enrollments.selectors import ReferenceBook, ReferenceSnapshot
from enrollments.services import reservations
from enrollments.services.reminders import welcome_messages_write
from notifications.services import phones_opt_out

logger = logging.getLogger(__name__)

Channel = Registration.Channel
CODE_ROUNDS = 5


@dataclass(frozen=True)
class Consent:
    given: bool
    method: str
    at: datetime.datetime


@dataclass(frozen=True)
class Location:
    lat: Decimal
    lng: Decimal
    accuracy_m: int | None = None


@dataclass(frozen=True)
class RegistrationInput:
    client_uuid: uuid.UUID
    nik: str
    full_name: str
    birth_date: datetime.date
    sex: str
    phone: str
    regency_code: str
    address: str
    occupation: str
    declared_income: int
    programs: frozenset[str]
    payment_period_months: int
    consent: Consent
    captured_at: datetime.datetime
    location: Location | None = None
    # The worker asked for no messages: their phone is opted out with the registration.
    messages_opt_out: bool = False
    # A participant number the agent reserved while online and gave the worker on paper.
    reserved_number: str | None = None


class Outcome(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass
class ItemResult:
    client_uuid: uuid.UUID
    outcome: Outcome
    registration: Registration | None = None
    error: ApplicationError | None = None


@dataclass
class _Prepared:
    index: int
    item: RegistrationInput
    participant: Participant
    registration: Registration
    warnings: list[str] = field(default_factory=list)
    reservation: NumberReservation | None = None


def _invalid(field_name: str, message: str) -> InvalidInputError:
    return InvalidInputError(fields={field_name: [message]})


def _priced_on(item: RegistrationInput, agent: Agent) -> datetime.date:
    return item.captured_at.astimezone(agent.branch.zone).date()


def _plausibility_error(error: plausibility.PlausibilityError) -> InvalidInputError:
    messages = {
        "too_young": _("The worker must be at least %(age)d years old on the capture day.")
        % {"age": plausibility.MINIMUM_AGE},
        "too_old": _("This is not a plausible date of birth."),
        "consent_long_before_capture": _(
            "The consent was given long before the capture: ask the worker again."
        ),
        "consent_after_capture": _("The consent was given after the capture."),
    }
    message = messages[error.code]
    if error.field == "consent.at":
        return InvalidInputError(fields={"consent": {"at": [message]}})
    return _invalid(error.field, message)


def _checked_full_name(raw: str) -> str:
    try:
        return normalise_person_name(raw)
    except PersonNameError as error:
        raise _invalid("full_name", person_name_error_message(error)) from None


def _plausibility_warnings(item: RegistrationInput, agent: Agent) -> list[str]:
    """Refuses what cannot be true about the worker and the consent; the unusual comes
    back as warning codes."""
    try:
        return [
            *plausibility.consent_warnings(item.consent.at, captured_at=item.captured_at),
            *plausibility.birth_date_warnings(
                item.birth_date,
                captured_on=_priced_on(item, agent),
                includes_jht=pricing.JHT in item.programs,
            ),
        ]
    except plausibility.PlausibilityError as error:
        raise _plausibility_error(error) from None


def _prepare(
    index: int,
    item: RegistrationInput,
    *,
    agent: Agent,
    snapshot: ReferenceSnapshot,
    regencies: dict[str, Regency],
    now: datetime.datetime,
) -> _Prepared:
    """Every domain check of one item, and its priced, unsaved rows."""
    _check_times(item, now)
    worker = _checked_worker(item, agent)
    regency, occupation = _checked_reference(item, snapshot, regencies)
    contribution = _priced(item, snapshot)
    participant = Participant(
        full_name=worker.full_name,
        birth_date=item.birth_date,
        sex=item.sex,
        phone=worker.phone,
        regency=regency,
        address=item.address.strip(),
        occupation=occupation,
        branch=agent.branch,
        status=ParticipantStatus.AWAITING_PAYMENT,
        nik_province_code=worker.nik.province_code,
    )
    participant.set_nik(worker.nik.value)
    registration = _registration_row(item, agent, snapshot, contribution)
    registration.warnings = worker.warnings
    return _Prepared(index, item, participant, registration, worker.warnings)


def _check_times(item: RegistrationInput, now: datetime.datetime) -> None:
    skew = datetime.timedelta(seconds=settings.REGISTRATION_CLOCK_SKEW_SECONDS)
    if item.captured_at > now + skew:
        raise _invalid("captured_at", _("The capture time is in the future."))
    if not item.consent.given:
        raise InvalidInputError(
            fields={"consent": {"given": [_("The worker's consent is required.")]}}
        )
    if item.consent.at > now + skew:
        raise InvalidInputError(
            fields={"consent": {"at": [_("The consent time is in the future.")]}}
        )


@dataclass(frozen=True)
class _Worker:
    nik: ParsedNik
    full_name: str
    phone: str
    warnings: list[str]


def _checked_worker(item: RegistrationInput, agent: Agent) -> _Worker:
    """The worker's NIK, name, date of birth and phone, checked on the branch's date;
    the unusual (a NIK that disagrees with the declared birth date or sex, an age at
    the edge of the rules) comes back as warning codes."""
    try:
        parsed = parse_nik(item.nik, today=agent.branch.local_today())
    except NikError as error:
        raise _invalid("nik", nik_error_message(error)) from None
    full_name = _checked_full_name(item.full_name)
    if item.birth_date > agent.branch.local_today():
        raise _invalid("birth_date", _("The date of birth is in the future."))
    unusual = _plausibility_warnings(item, agent)
    try:
        phone = normalise_phone(item.phone) if item.phone else ""
    except PhoneError:
        raise _invalid("phone", phone_error_message()) from None
    warnings = [
        warning.code
        for warning in nik_warnings(parsed, birth_date=item.birth_date, sex=item.sex)  # type: ignore[arg-type]
    ]
    return _Worker(parsed, full_name, phone, warnings + unusual)


def _checked_reference(
    item: RegistrationInput, snapshot: ReferenceSnapshot, regencies: dict[str, Regency]
) -> tuple[Regency, Occupation]:
    regency = regencies.get(item.regency_code)
    if regency is None:
        raise _invalid("regency_code", _("Unknown regency or city code."))
    occupation = snapshot.occupations.get(item.occupation)
    if occupation is None:
        raise _invalid("occupation", _("Unknown occupation."))
    if item.declared_income not in snapshot.income_levels:
        raise _invalid(
            "declared_income",
            _("Choose one of the income levels in force: %(levels)s.")
            % {"levels": ", ".join(f"{level}" for level in snapshot.income_levels)},
        )
    return regency, occupation


def _priced(item: RegistrationInput, snapshot: ReferenceSnapshot) -> pricing.Contribution:
    try:
        return pricing.price_contribution(
            declared_income=item.declared_income,
            include_jht=pricing.JHT in item.programs,
            period_months=item.payment_period_months,
            rates=snapshot.rates,
            reliefs=snapshot.reliefs,
        )
    except pricing.PricingError as error:
        # Reference data missing for that day is the branch's problem, not the agent's.
        logger.error("pricing failed", extra={"code": error.code, "on": str(snapshot.on)})
        raise _invalid(
            "captured_at", _("No contribution rates are in force on this date.")
        ) from None


def _registration_row(
    item: RegistrationInput,
    agent: Agent,
    snapshot: ReferenceSnapshot,
    contribution: pricing.Contribution,
) -> Registration:
    location = item.location
    return Registration(
        agent=agent,
        branch=agent.branch,
        client_uuid=item.client_uuid,
        captured_at=item.captured_at,
        latitude=location.lat if location else None,
        longitude=location.lng if location else None,
        location_accuracy_m=location.accuracy_m if location else None,
        consent_given=item.consent.given,
        consent_method=item.consent.method,
        consent_at=item.consent.at,
        declared_income=item.declared_income,
        includes_jht=pricing.JHT in item.programs,
        payment_period_months=item.payment_period_months,
        priced_on=snapshot.on,
        contribution_jkk=contribution.jkk,
        contribution_jkm=contribution.jkm,
        contribution_jht=contribution.jht,
        monthly_total=contribution.monthly_total,
        amount_due=contribution.amount_due,
        reliefs_applied=list(contribution.reliefs),
    )


def _assign_codes(prepared: list[_Prepared]) -> None:
    """Random participant numbers and payment codes, checked against the database in
    one query each per round; a collision (one in billions) just draws again. A drawn
    number is never one a participant or a reservation has; an item with a reserved
    number keeps it (it was checked with the item)."""
    pending = list(prepared)
    for _round in range(CODE_ROUNDS):
        if not pending:
            return
        for entry in pending:
            if entry.reservation is None:
                entry.participant.participant_number = codes.new_participant_number()
            entry.registration.payment_code = codes.new_payment_code()
        drawn = [
            entry.participant.participant_number for entry in pending if entry.reservation is None
        ]
        payment_codes = [entry.registration.payment_code for entry in pending]
        taken_numbers = reservations.numbers_taken(drawn)
        taken_codes = set(
            Registration.objects.filter(payment_code__in=payment_codes).values_list(
                "payment_code", flat=True
            )
        )
        seen_numbers: set[str] = set()
        seen_codes: set[str] = set()
        retry = []
        for entry in pending:
            number, code = entry.participant.participant_number, entry.registration.payment_code
            number_taken = entry.reservation is None and number in taken_numbers | seen_numbers
            if number_taken or code in taken_codes | seen_codes:
                retry.append(entry)
            seen_numbers.add(number)
            seen_codes.add(code)
        pending = retry
    raise RuntimeError("could not draw unique codes")  # pragma: no cover


def _insert_all(prepared: list[_Prepared]) -> None:
    with transaction.atomic():
        reservations.reservations_claim([e.reservation for e in prepared if e.reservation])
        Participant.objects.bulk_create([entry.participant for entry in prepared])
        for entry in prepared:
            entry.registration.participant = entry.participant
        Registration.objects.bulk_create([entry.registration for entry in prepared])
        reservations.reservations_mark_used(
            [(e.reservation, e.registration) for e in prepared if e.reservation]
        )
        _messages_opted_out(prepared)
        welcome_messages_write(entry.registration for entry in prepared)


def _messages_opted_out(prepared: list[_Prepared]) -> None:
    phones = [
        entry.participant.phone
        for entry in prepared
        if entry.item.messages_opt_out and entry.participant.phone
    ]
    if phones:
        phones_opt_out(phones=phones, source="registration")


def _insert_one(entry: _Prepared, agent: Agent) -> ItemResult | None:
    """The slow path, after a batch insert lost a race: this item alone, in its own
    savepoint, told apart by what the database refused. ``None`` when the NIK is taken:
    the caller looks the client_uuid up again before calling that a conflict."""
    for _attempt in range(CODE_ROUNDS):
        try:
            with transaction.atomic():
                if entry.reservation is not None:
                    reservations.reservations_claim([entry.reservation])
                entry.participant.pk = None
                entry.participant._state.adding = True
                entry.participant.save()
                entry.registration.pk = None
                entry.registration._state.adding = True
                entry.registration.participant = entry.participant
                entry.registration.save()
                if entry.reservation is not None:
                    reservations.reservations_mark_used([(entry.reservation, entry.registration)])
                _messages_opted_out([entry])
                welcome_messages_write([entry.registration])
            return ItemResult(entry.item.client_uuid, Outcome.CREATED, entry.registration)
        except IntegrityError:
            # Told apart by what is now in the database, which the refusal was about.
            found = _registrations_by_uuid([entry.item.client_uuid])
            if found:
                return _existing_result(entry, found[entry.item.client_uuid], agent)
            if Participant.objects.filter(nik_digest=entry.participant.nik_digest).exists():
                return None
            if entry.reservation is not None and reservations.reservation_is_taken(
                entry.reservation
            ):
                # A concurrent registration used the number first.
                return ItemResult(
                    entry.item.client_uuid,
                    Outcome.INVALID,
                    error=_invalid("reserved_number", reservations.used_message()),
                )
            _assign_codes([entry])  # a participant number or payment code collided
    raise RuntimeError("could not insert registration")  # pragma: no cover


def _existing_result(entry: _Prepared, found: Registration, agent: Agent) -> ItemResult:
    """An item whose client_uuid is already a registration: the agent's own item sent
    again (duplicate), or a client_uuid that is not this worker's to use."""
    client_uuid = entry.item.client_uuid
    if found.agent_id != agent.pk:
        return ItemResult(client_uuid, Outcome.CONFLICT, error=ClientUuidConflictError())
    if found.participant.nik_digest != entry.participant.nik_digest:
        return ItemResult(client_uuid, Outcome.CONFLICT, error=ClientUuidReusedError())
    return ItemResult(client_uuid, Outcome.DUPLICATE, found)


def _registrations_by_uuid(client_uuids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Registration]:
    return {
        registration.client_uuid: registration
        for registration in Registration.objects.filter(client_uuid__in=client_uuids)
        .select_related("participant", "participant__occupation", "participant__branch")
        .order_by()
    }


def _resolve_taken(entries: Sequence[_Prepared], agent: Agent) -> list[ItemResult]:
    """Items whose NIK or client_uuid the database already holds. Looked up again now,
    in one query: a request still running when this one began (the app's earlier
    attempt, given up on and retried) has committed since, and its registration is this
    item's, not someone else's NIK."""
    found = _registrations_by_uuid([entry.item.client_uuid for entry in entries])
    results = []
    for entry in entries:
        registration = found.get(entry.item.client_uuid)
        results.append(
            _existing_result(entry, registration, agent)
            if registration is not None
            else ItemResult(
                entry.item.client_uuid, Outcome.CONFLICT, error=NikAlreadyRegisteredError()
            )
        )
    return results


def registrations_register(
    *, agent: Agent, items: Sequence[RegistrationInput], channel: str
) -> list[ItemResult]:
    """Registers ``items`` for ``agent``; a result per item, in order. A constant number
    of queries whatever the number of items, unless a concurrent request takes a NIK or
    client_uuid in between, when the batch falls back to one savepoint per item."""
    if not items:
        return []
    results: dict[int, ItemResult] = {}
    firsts, later_copies = _first_of_each_uuid(items)
    prepared = _prepare_all(firsts, agent, results)
    new, nik_taken = _sort_out(prepared, agent, results)
    for entry in new:
        entry.registration.channel = channel
    nik_taken += _insert_new(new, agent, results)
    if nik_taken:
        for entry, result in zip(nik_taken, _resolve_taken(nik_taken, agent), strict=True):
            results[entry.index] = result
    _answer_later_copies(later_copies, results)

    created = sum(1 for result in results.values() if result.outcome == Outcome.CREATED)
    logger.info(
        "registrations received",
        extra={"agent": agent.code, "items": len(items), "new": created, "channel": channel},
    )
    return [results[index] for index in range(len(items))]


_Indexed = tuple[int, RegistrationInput]
_LaterCopy = tuple[int, RegistrationInput, _Indexed]


def _first_of_each_uuid(
    items: Sequence[RegistrationInput],
) -> tuple[list[_Indexed], list[_LaterCopy]]:
    """The items to register, each client_uuid's first, with their index; and the later
    copies of a client_uuid in the same batch, each with its first."""
    first_of_uuid: dict[uuid.UUID, _Indexed] = {}
    later_copies: list[_LaterCopy] = []
    for index, item in enumerate(items):
        if item.client_uuid in first_of_uuid:
            later_copies.append((index, item, first_of_uuid[item.client_uuid]))
        else:
            first_of_uuid[item.client_uuid] = (index, item)
    return list(first_of_uuid.values()), later_copies


def _prepare_all(
    firsts: list[_Indexed], agent: Agent, results: dict[int, ItemResult]
) -> list[_Prepared]:
    """Each item checked and priced with the reference data of its own capture day,
    read in one go for the batch; an item refused here gets its ``invalid`` result."""
    now = timezone.now()
    days = {index: _priced_on(item, agent) for index, item in firsts}
    book = ReferenceBook(min(days.values()), max(days.values()))
    regencies = {
        regency.code: regency
        for regency in Regency.objects.filter(code__in={item.regency_code for _i, item in firsts})
    }
    prepared = []
    for index, item in firsts:
        try:
            prepared.append(
                _prepare(
                    index,
                    item,
                    agent=agent,
                    snapshot=book.on(days[index]),
                    regencies=regencies,
                    now=now,
                )
            )
        except InvalidInputError as error:
            results[index] = ItemResult(item.client_uuid, Outcome.INVALID, error=error)
    return prepared


def _sort_out(
    prepared: list[_Prepared], agent: Agent, results: dict[int, ItemResult]
) -> tuple[list[_Prepared], list[_Prepared]]:
    """Items already received are answered from what was stored; the rest are new, or
    carry a NIK that is already a participant's (or an earlier item's of the batch), or
    a reserved number that is not theirs to use."""
    existing = _registrations_by_uuid([entry.item.client_uuid for entry in prepared])
    digests = {entry.participant.nik_digest for entry in prepared}
    taken_niks = set(
        Participant.objects.filter(nik_digest__in=digests).values_list("nik_digest", flat=True)
    )
    book = reservations.ReservationBook(
        agent=agent, numbers=[e.item.reserved_number for e in prepared if e.item.reserved_number]
    )
    new: list[_Prepared] = []
    nik_taken: list[_Prepared] = []
    for entry in prepared:
        found = existing.get(entry.item.client_uuid)
        if found is not None:
            results[entry.index] = _existing_result(entry, found, agent)
        elif entry.participant.nik_digest in taken_niks:
            nik_taken.append(entry)
        elif entry.item.reserved_number and not _reservation_taken_up(entry, book):
            if book.used_by(entry.item.reserved_number) == entry.item.client_uuid:
                nik_taken.append(entry)  # this very item, received since: looked up again
            else:
                results[entry.index] = ItemResult(
                    entry.item.client_uuid,
                    Outcome.INVALID,
                    error=_invalid("reserved_number", book.refusal(entry.item.reserved_number)),
                )
        else:
            taken_niks.add(entry.participant.nik_digest)  # a second item with this NIK conflicts
            new.append(entry)
    return new, nik_taken


def _reservation_taken_up(entry: _Prepared, book: reservations.ReservationBook) -> bool:
    """Binds the item to its reserved number when the agent may use it (the number then
    counts as used for the rest of the batch)."""
    assert entry.item.reserved_number is not None  # noqa: S101
    reservation = book.take(entry.item.reserved_number)
    if reservation is None:
        return False
    entry.reservation = reservation
    entry.participant.participant_number = reservation.participant_number
    return True


def _insert_new(
    new: list[_Prepared], agent: Agent, results: dict[int, ItemResult]
) -> list[_Prepared]:
    """Inserts the new items in one go, or one by one when a concurrent request took a
    NIK, client_uuid or code in between; returns the items whose NIK was taken."""
    _assign_codes(new)
    try:
        _insert_all(new)
    except IntegrityError:
        nik_taken = []
        for entry in new:
            result = _insert_one(entry, agent)
            if result is None:
                nik_taken.append(entry)
            else:
                results[entry.index] = result
        return nik_taken
    for entry in new:
        results[entry.index] = ItemResult(
            entry.item.client_uuid, Outcome.CREATED, entry.registration
        )
    return []


def _answer_later_copies(later_copies: list[_LaterCopy], results: dict[int, ItemResult]) -> None:
    """A client_uuid sent twice in one batch: the copy is a duplicate of the first, or a
    conflict if it carries another NIK."""
    for index, item, (first_index, first_item) in later_copies:
        first = results[first_index]
        if item.nik.strip() != first_item.nik.strip():
            results[index] = ItemResult(
                item.client_uuid, Outcome.CONFLICT, error=ClientUuidReusedError()
            )
            continue
        outcome = Outcome.DUPLICATE if first.outcome == Outcome.CREATED else first.outcome
        results[index] = ItemResult(item.client_uuid, outcome, first.registration, first.error)


def registration_register_one(*, agent: Agent, item: RegistrationInput) -> ItemResult:
    """The online endpoint: one item; a refusal is raised, not returned."""
    (result,) = registrations_register(agent=agent, items=[item], channel=Channel.ONLINE)
    if result.error is not None:
        raise result.error
    return result
