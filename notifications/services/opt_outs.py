"""Phones that receive nothing more, and the way back."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInputError
from core.messages import phone_error_message
from core.phone import PhoneError, normalise_phone
from notifications.models import (
    CancelReason,
    MessageStatus,
    OptOutSource,
    OutboundMessage,
    PhoneOptOut,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PhoneError:
        raise InvalidInputError(fields={"phone": [phone_error_message()]}) from None


@transaction.atomic
def phone_opt_out(*, phone: str, source: str, by: User | None = None) -> PhoneOptOut:
    """Idempotent: a phone already out keeps its first record. Messages waiting for it
    are cancelled now, and any written later are written cancelled."""
    normalised = _phone(phone)
    if source not in OptOutSource.values:
        raise InvalidInputError(fields={"source": [str(OptOutSource.choices)]})
    PhoneOptOut.objects.bulk_create(
        [PhoneOptOut(phone=normalised, source=source, created_by=by)], ignore_conflicts=True
    )
    OutboundMessage.objects.filter(phone=normalised, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED,
        cancel_reason=CancelReason.OPTED_OUT,
        updated_at=timezone.now(),
    )
    return PhoneOptOut.objects.get(phone=normalised)


@transaction.atomic
def phone_opt_in(*, phone: str) -> bool:
    """The phone receives messages written from now on. True when it had opted out."""
    deleted, _by_model = PhoneOptOut.objects.filter(phone=_phone(phone)).delete()
    return deleted > 0


def phones_opt_out(*, phones: Collection[str], source: str) -> None:
    """``phone_opt_out`` for many phones at once, in a constant number of queries (a
    batch of registrations whose workers asked for no messages). Phones already out keep
    their first record."""
    normalised = {_phone(phone) for phone in phones}
    if not normalised:
        return
    if source not in OptOutSource.values:
        raise InvalidInputError(fields={"source": [str(OptOutSource.choices)]})
    PhoneOptOut.objects.bulk_create(
        [PhoneOptOut(phone=phone, source=source) for phone in sorted(normalised)],
        ignore_conflicts=True,
    )
    OutboundMessage.objects.filter(phone__in=normalised, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED,
        cancel_reason=CancelReason.OPTED_OUT,
        updated_at=timezone.now(),
    )
