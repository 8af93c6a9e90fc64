"""Numbers before sync (DESIGN §9): participant numbers an agent's device reserves while
online, to hand a worker registered offline their number on paper.

A reserved number is drawn like any participant number (random, with a Damm check
digit), never equal to a participant's or another reservation's, and belongs to one
agent until it is used by one of their registrations or expires. The registrations
service checks it (``ReservationBook``) and uses it (``reservations_claim``,
``reservations_mark_used``) in the transaction, or savepoint, that writes the
registration: two registrations racing for one number meet on the reservation's row lock,
and the participant number's unique index backs that up.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from core.exceptions import InvalidInputError
from enrollments import codes
from enrollments.errors import ReservationLimitError
from enrollments.models import NumberReservation, Participant, Registration

logger = logging.getLogger(__name__)

DRAW_ROUNDS = 5


def numbers_taken(numbers: Iterable[str]) -> set[str]:
    """Which of ``numbers`` a participant or a reservation already has, in one query."""
    numbers = list(numbers)
    if not numbers:
        return set()
    participants = Participant.objects.filter(participant_number__in=numbers).values_list(
        "participant_number", flat=True
    )
    reserved = NumberReservation.objects.filter(participant_number__in=numbers).values_list(
        "participant_number", flat=True
    )
    return set(participants.order_by().union(reserved.order_by()))


def _fresh_numbers(count: int) -> list[str]:
    """``count`` distinct numbers that no participant or reservation has now; the unique
    index has the final say when the rows are inserted."""
    numbers: set[str] = set()
    for _round in range(DRAW_ROUNDS):
        drawn = {codes.new_participant_number() for _ in range(count - len(numbers))}
        numbers |= drawn - numbers_taken(drawn)
        if len(numbers) == count:
            return sorted(numbers)
    raise RuntimeError("could not draw free participant numbers")  # pragma: no cover


def _unused_count(agent: Agent, now: datetime.datetime) -> int:
    return NumberReservation.objects.filter(agent=agent).unused(now=now).count()


@transaction.atomic
def numbers_reserve(*, agent: Agent, count: int) -> list[NumberReservation]:
    """Reserves ``count`` new participant numbers for ``agent``, usable for
    RESERVATION_DAYS. Refused when the agent would then hold more than
    RESERVATION_MAX_UNUSED unused ones."""
    if not 1 <= count <= settings.RESERVATION_MAX_BATCH:
        raise InvalidInputError(
            fields={
                "count": [
                    _("Reserve from 1 to %(max)d numbers at a time.")
                    % {"max": settings.RESERVATION_MAX_BATCH}
                ]
            }
        )
    # Two devices of one agent reserve one after the other, so that they cannot both
    # pass the cap. NO KEY: registrations by this agent (a foreign key to the row) go on.
    Agent.objects.select_for_update(no_key=True).filter(pk=agent.pk).values_list("pk").get()
    now = timezone.now()
    limit = settings.RESERVATION_MAX_UNUSED
    unused = _unused_count(agent, now)
    if unused + count > limit:
        available = max(limit - unused, 0)
        raise ReservationLimitError(
            _(
                "You already hold %(unused)d unused reserved numbers, and at most %(limit)d "
                "are allowed: reserve at most %(available)d more, or use some first."
            )
            % {"unused": unused, "limit": limit, "available": available},
            extra={"unused": unused, "limit": limit, "available": available},
        )
    expires_at = now + datetime.timedelta(days=settings.RESERVATION_DAYS)
    for _attempt in range(DRAW_ROUNDS):
        rows = [
            NumberReservation(
                participant_number=number, agent=agent, reserved_at=now, expires_at=expires_at
            )
            for number in _fresh_numbers(count)
        ]
        try:
            with transaction.atomic():
                created = NumberReservation.objects.bulk_create(rows)
        except IntegrityError:
            # Another agent's reservation took one of the numbers since they were drawn.
            continue
        logger.info("numbers reserved", extra={"agent": agent.code, "count": count})
        return created
    raise RuntimeError("could not reserve participant numbers")  # pragma: no cover


# Using a reserved number -------------------------------------------------------------------


def used_message() -> str:
    return _("This reserved number has already been used for another registration.")


class ReservationBook:
    """The reservations a batch's items name, read in one query, and which of them the
    batch has taken so far: a number serves one item only."""

    def __init__(self, *, agent: Agent, numbers: Sequence[str]) -> None:
        self.agent = agent
        self.now = timezone.now()
        self._found: dict[str, NumberReservation] = (
            {
                reservation.participant_number: reservation
                for reservation in NumberReservation.objects.filter(
                    participant_number__in=set(numbers)
                ).select_related("registration")
            }
            if numbers
            else {}
        )
        self._taken: set[str] = set()

    def _own(self, number: str) -> NumberReservation | None:
        reservation = self._found.get(number)
        return reservation if reservation and reservation.agent_id == self.agent.pk else None

    def take(self, number: str) -> NumberReservation | None:
        """The reservation, if this agent may use it now (this agent's, unused, not
        expired, not taken by an earlier item of the batch); None otherwise."""
        reservation = self._own(number)
        if (
            reservation is None
            or reservation.used_at is not None
            or reservation.expires_at <= self.now
            or number in self._taken
        ):
            return None
        self._taken.add(number)
        return reservation

    def used_by(self, number: str) -> uuid.UUID | None:
        """The client_uuid of this agent's registration that used the number, if any."""
        reservation = self._own(number)
        if reservation is None or reservation.registration is None:
            return None
        return reservation.registration.client_uuid

    def refusal(self, number: str) -> str:
        """Why ``take`` refused the number. Another agent's number is refused like one
        never reserved: saying more would tell whose it is."""
        reservation = self._own(number)
        if reservation is None:
            return _("This is not a participant number reserved for you.")
        if reservation.used_at is not None or number in self._taken:
            return used_message()
        expired_on = reservation.expires_at.astimezone(self.agent.branch.zone).date()
        return _(
            "This reserved number expired on %(date)s: register the worker without it, and "
            "they get a new number."
        ) % {"date": expired_on.isoformat()}


class ReservationTakenError(IntegrityError):
    """A reserved number was used by a concurrent registration between the check and
    the write: the write is given up like any other the database refused."""


def reservations_claim(reservations: Sequence[NumberReservation]) -> None:
    """Locks the reservations about to be used, in one order (two batches sharing
    numbers wait for each other instead of deadlocking); raises ReservationTakenError
    when one of them has been used since it was checked."""
    if not reservations:
        return
    ids = sorted({reservation.pk for reservation in reservations})
    locked = list(
        NumberReservation.objects.select_for_update()
        .filter(pk__in=ids, used_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(locked) != len(ids):
        raise ReservationTakenError("reserved number already used")


def reservations_mark_used(
    pairs: Sequence[tuple[NumberReservation, Registration]],
) -> None:
    """Each reservation used by its registration, in one statement (after
    ``reservations_claim``, in the same transaction)."""
    if not pairs:
        return
    now = timezone.now()
    for reservation, registration in pairs:
        reservation.used_at = now
        reservation.registration = registration
    NumberReservation.objects.bulk_update(
        [reservation for reservation, _registration in pairs], ["used_at", "registration"]
    )


def reservation_is_taken(reservation: NumberReservation) -> bool:
    """After a refused write: whether the reserved number is now someone's."""
    return (
        NumberReservation.objects.filter(pk=reservation.pk, used_at__isnull=False).exists()
        or Participant.objects.filter(participant_number=reservation.participant_number).exists()
    )
