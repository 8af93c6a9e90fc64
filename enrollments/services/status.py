"""The nightly participant-status pass. Set-based: one UPDATE per distinct local date
among the branches' time zones (at most four in Indonesia), whatever the number of
participants."""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import Branch
from agents.selectors import time_zones_in_use
from enrollments import coverage
from enrollments.models import Participant, ParticipantStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusRefresh:
    lapsed: int
    restored: int


@transaction.atomic
def participant_statuses_refresh(
    *, now: datetime.datetime | None = None, among: QuerySet[Participant] | None = None
) -> StatusRefresh:
    """Active participants three whole months past their paid-through month become
    non-active; non-active ones whose coverage says otherwise (a corrected payment)
    become active. Each branch judges by its own "today". Idempotent. ``among``
    limits the pass to some participants (the demo's own)."""
    now = now or timezone.now()
    zones_by_day: dict[datetime.date, list[str]] = defaultdict(list)
    for zone in time_zones_in_use():
        zones_by_day[now.astimezone(Branch(time_zone=zone).zone).date()].append(zone)

    lapsed = restored = 0
    for today, zones in zones_by_day.items():
        cutoff = coverage.lapse_cutoff(today)
        in_zones = (among if among is not None else Participant.objects.all()).filter(
            branch__time_zone__in=zones
        )
        lapsed += in_zones.filter(status=ParticipantStatus.ACTIVE, paid_through__lt=cutoff).update(
            status=ParticipantStatus.NON_ACTIVE, status_changed_at=now, updated_at=now
        )
        restored += in_zones.filter(
            status=ParticipantStatus.NON_ACTIVE, paid_through__gte=cutoff
        ).update(status=ParticipantStatus.ACTIVE, status_changed_at=now, updated_at=now)
    logger.info("participant statuses refreshed", extra={"lapsed": lapsed, "restored": restored})
    return StatusRefresh(lapsed=lapsed, restored=restored)
