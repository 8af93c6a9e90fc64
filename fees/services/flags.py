"""The fraud gate: rules that flag registrations, and staff review.

A flagged registration's fee lines are written ``held``: not payable. Clearing the flag
writes a release line for each held line into the then-open statement; confirming fraud
leaves them held for ever, and may terminate the agent (which forfeits what is unpaid).
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Branch
from agents.services import agent_terminate
from core.dates import period_of
from core.exceptions import ConflictError
from enrollments.models import Participant, Registration
from fees.models import FeeLine, FlagRule, FlagStatus, LineKind, RegistrationFlag
from fees.services.statements import statement_targets

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

BURST_COUNT = 5
BURST_WINDOW = datetime.timedelta(minutes=10)
BURST_PRECISION = 3  # decimal degrees: about 100 m
SHARED_PHONE_COUNT = 3


Capture = tuple[int, int, Decimal | None, Decimal | None, datetime.datetime]


def _bursts(rows: Sequence[Capture]) -> set[int]:
    """Registrations by one agent at one spot, BURST_COUNT or more within BURST_WINDOW."""
    by_spot: dict[tuple[int, Decimal, Decimal], list[tuple[datetime.datetime, int]]]
    by_spot = defaultdict(list)
    for registration_id, agent_id, lat, lng, captured_at in rows:
        if lat is None or lng is None:
            continue
        spot = (agent_id, round(lat, BURST_PRECISION), round(lng, BURST_PRECISION))
        by_spot[spot].append((captured_at, registration_id))
    flagged: set[int] = set()
    for captures in by_spot.values():
        captures.sort()
        start = 0
        for end in range(len(captures)):
            while captures[end][0] - captures[start][0] > BURST_WINDOW:
                start += 1
            if end - start + 1 >= BURST_COUNT:
                flagged.update(registration_id for _t, registration_id in captures[start : end + 1])
    return flagged


def registrations_flag_by_rules(*, branch: Branch, start: object, end: object) -> int:
    """Flags the branch's registrations received in [start, end) that break a rule.
    Idempotent: a registration is flagged once per rule."""
    registrations = Registration.objects.filter(
        branch=branch, created_at__gte=start, created_at__lt=end
    )
    rows = list(registrations.values_list("pk", "agent_id", "latitude", "longitude", "captured_at"))
    if not rows:
        return 0
    flags: dict[int, set[str]] = defaultdict(set)
    for registration_id in _bursts(rows):
        flags[registration_id].add(FlagRule.BURST)
    shared = (
        Participant.objects.exclude(phone="")
        .values("phone")
        .annotate(n=Count("pk"))
        .filter(n__gte=SHARED_PHONE_COUNT)
        .values("phone")
    )
    for registration_id in registrations.filter(participant__phone__in=shared).values_list(
        "pk", flat=True
    ):
        flags[registration_id].add(FlagRule.SHARED_PHONE)
    province = branch.regency.province_id
    far = registrations.exclude(participant__nik_province_code="").exclude(
        participant__nik_province_code=province
    )
    for registration_id in far.values_list("pk", flat=True):
        flags[registration_id].add(FlagRule.NIK_PROVINCE)
    created = RegistrationFlag.objects.bulk_create(
        [
            RegistrationFlag(registration_id=registration_id, branch=branch, rule=rule)
            for registration_id, rules in flags.items()
            for rule in sorted(rules)
        ],
        ignore_conflicts=True,
    )
    return len(created) if connection.vendor != "postgresql" else len(flags)


@transaction.atomic
def registration_flag(*, registration: Registration, by: User, note: str = "") -> RegistrationFlag:
    """A staff flag: lines written from now on for this registration are held."""
    flag, created = RegistrationFlag.objects.get_or_create(
        registration=registration,
        rule=FlagRule.STAFF,
        defaults={"branch_id": registration.branch_id, "note": note},
    )
    if not created and flag.status != FlagStatus.OPEN:
        RegistrationFlag.objects.filter(pk=flag.pk).update(
            status=FlagStatus.OPEN, note=note, updated_at=timezone.now()
        )
        flag.refresh_from_db()
    return flag


def _release_held_lines(registration_id: int) -> int:
    """A release line, in the beneficiary's open statement, for each held line of the
    registration that has none yet."""
    held = list(
        FeeLine.objects.filter(registration_id=registration_id, held=True)
        .exclude(kind=LineKind.RELEASE)
        .select_related("statement")
    )
    released = set(FeeLine.objects.filter(releases__in=held).values_list("releases_id", flat=True))
    pending = [line for line in held if line.pk not in released]
    if not pending:
        return 0
    # The month the release is earned in is the branch's, not head office's: at 23:30 WIB
    # on the 30th, Kendari (WITA) is already in the next month.
    zone = Branch.objects.get(pk=pending[0].branch_id).zone
    current = period_of(timezone.localdate(timezone=zone))
    lines = []
    for owner_field in ("agent", "kantor_perisai"):
        owned = [line for line in pending if getattr(line.statement, f"{owner_field}_id")]
        owners = {
            getattr(line.statement, f"{owner_field}_id"): line.statement.branch_id for line in owned
        }
        targets = statement_targets(owner_field=owner_field, owners=owners, period=current)
        lines += [
            FeeLine(
                source_key=f"release:{line.pk}",
                statement_id=targets[getattr(line.statement, f"{owner_field}_id")],
                kind=LineKind.RELEASE,
                amount=line.amount,
                earned_period=current,
                branch_id=line.branch_id,
                agent_id=line.agent_id,
                payment_line_id=line.payment_line_id,
                registration_id=line.registration_id,
                scheme_id=line.scheme_id,
                held=False,
                releases=line,
            )
            for line in owned
        ]
    FeeLine.objects.bulk_create(lines, ignore_conflicts=True)
    return len(lines)


@transaction.atomic
def flags_clear(*, registration: Registration, by: User, note: str = "") -> int:
    """Every open flag of the registration cleared; its held lines released into the
    open statements. Returns the number of release lines written."""
    now = timezone.now()
    flags = RegistrationFlag.objects.select_for_update().filter(registration=registration)
    if flags.filter(status=FlagStatus.CONFIRMED).exists():
        raise ConflictError(_("Fraud was confirmed for this registration; it cannot be cleared."))
    flags.filter(status=FlagStatus.OPEN).update(
        status=FlagStatus.CLEARED, reviewed_by=by, reviewed_at=now, note=note, updated_at=now
    )
    released = _release_held_lines(registration.pk)
    logger.info(
        "registration cleared", extra={"registration": registration.pk, "released": released}
    )
    return released


@transaction.atomic
def flags_confirm_fraud(
    *, registration: Registration, by: User, note: str = "", terminate_agent: bool = False
) -> None:
    """Fraud confirmed: the registration's held lines are never paid; optionally the
    agent is terminated, which forfeits everything not yet paid."""
    now = timezone.now()
    flags = RegistrationFlag.objects.select_for_update().filter(registration=registration)
    if not flags.exists():
        RegistrationFlag.objects.create(
            registration=registration,
            branch_id=registration.branch_id,
            rule=FlagRule.STAFF,
            status=FlagStatus.CONFIRMED,
            reviewed_by=by,
            reviewed_at=now,
            note=note,
        )
    flags.exclude(status=FlagStatus.CONFIRMED).update(
        status=FlagStatus.CONFIRMED, reviewed_by=by, reviewed_at=now, note=note, updated_at=now
    )
    if terminate_agent:
        agent_terminate(
            agent=registration.agent, by=by, reason=note or _("Fraud confirmed on a registration")
        )
