"""Fee statements: where each line lands, and approval and payment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, StaffProfile
from core.dates import next_period
from core.exceptions import ConflictError, PermissionDeniedError
from fees.models import FeeStatement, StatementStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User

OWNER_FIELDS = ("agent", "kantor_perisai")


def statement_targets(*, owner_field: str, owners: dict[int, int], period: str) -> dict[int, int]:
    """For each owner (agent or Kantor Perisai id -> its branch id), the statement a
    line earned in ``period`` lands in: the owner's statement for that month if it is
    still open, otherwise the first open one after it. Missing statements are created
    (concurrent creators agree through the unique constraints)."""
    assert owner_field in OWNER_FIELDS  # noqa: S101
    if not owners:
        return {}
    targets: dict[int, int] = {}
    pending = dict.fromkeys(owners, period)
    for _round in range(240):  # twenty years of closed months would be a data error
        if not pending:
            return targets
        existing = {
            (row[f"{owner_field}_id"], row["period"]): row
            for row in FeeStatement.objects.filter(
                **{f"{owner_field}_id__in": list(pending)}, period__in=set(pending.values())
            ).values("id", f"{owner_field}_id", "period", "status")
        }
        missing = [
            FeeStatement(**{f"{owner_field}_id": owner}, branch_id=owners[owner], period=wanted)
            for owner, wanted in pending.items()
            if (owner, wanted) not in existing
        ]
        if missing:
            FeeStatement.objects.bulk_create(missing, ignore_conflicts=True)
            continue  # read them back, with whatever a concurrent run created
        following = {}
        for owner, wanted in pending.items():
            row = existing[(owner, wanted)]
            if row["status"] == StatementStatus.OPEN:
                targets[owner] = row["id"]
            else:
                following[owner] = next_period(wanted)
        pending = following
    raise RuntimeError("no open statement found")  # pragma: no cover


def _is_head_office(user: User) -> bool:
    profile = getattr(user, "staff_profile", None)
    return user.is_superuser or (
        profile is not None and profile.level == StaffProfile.Level.HEAD_OFFICE
    )


def statements_forfeit(*, agent: Agent) -> int:
    """A terminated agent's statements not yet paid are forfeited; paid ones stay."""
    return FeeStatement.objects.filter(
        agent=agent, status__in=[StatementStatus.OPEN, StatementStatus.APPROVED]
    ).update(status=StatementStatus.FORFEITED)


@transaction.atomic
def statements_approve(*, statements: Iterable[FeeStatement], by: User) -> int:
    """open -> approved. From then on the statement never changes."""
    ids = [statement.pk for statement in statements]
    return FeeStatement.objects.filter(pk__in=ids, status=StatementStatus.OPEN).update(
        status=StatementStatus.APPROVED,
        approved_at=timezone.now(),
        approved_by=by,
        updated_at=timezone.now(),
    )


@transaction.atomic
def statements_mark_paid(*, statements: Iterable[FeeStatement], by: User) -> int:
    """approved -> paid; head office only."""
    if not _is_head_office(by):
        raise PermissionDeniedError(_("Only head office marks statements paid."))
    ids = [statement.pk for statement in statements]
    not_approved = FeeStatement.objects.filter(pk__in=ids).filter(
        ~Q(status=StatementStatus.APPROVED)
    )
    if not_approved.filter(status=StatementStatus.OPEN).exists():
        raise ConflictError(_("Approve statements before marking them paid."))
    return FeeStatement.objects.filter(pk__in=ids, status=StatementStatus.APPROVED).update(
        status=StatementStatus.PAID, paid_at=timezone.now(), paid_by=by, updated_at=timezone.now()
    )
