"""Reads of the outbox, its templates and opt-outs."""

from __future__ import annotations

import datetime

from django.db.models import Count, QuerySet

from notifications.models import MessageStatus, MessageTemplate, OutboundMessage, PhoneOptOut

# A message counts against the daily cap once a worker has taken it to the gateway.
COUNTED_STATUSES = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)


def template_in_force(*, kind: str, on: datetime.date) -> MessageTemplate | None:
    return (
        MessageTemplate.objects.filter(kind=kind, effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def templates_in_force(*, kinds: set[str], on: datetime.date) -> dict[str, MessageTemplate]:
    """The version of each kind in force on ``on``, in one query."""
    found: dict[str, MessageTemplate] = {}
    for template in MessageTemplate.objects.filter(kind__in=kinds, effective_from__lte=on).order_by(
        "kind", "-effective_from"
    ):
        found.setdefault(template.kind, template)
    return found


def phone_opted_out(*, phone: str) -> bool:
    return PhoneOptOut.objects.filter(phone=phone).exists()


def phones_opted_out(*, phones: set[str]) -> set[str]:
    return set(PhoneOptOut.objects.filter(phone__in=phones).values_list("phone", flat=True))


def messages_taken_to_gateway(
    *, phones: set[str], since: datetime.datetime, until: datetime.datetime
) -> list[tuple[str, int]]:
    """The daily cap's question for many phones at once, in one GROUP BY: how many
    messages each phone was sent (or is being sent) in [since, until)."""
    rows = (
        OutboundMessage.objects.filter(
            phone__in=phones,
            status__in=COUNTED_STATUSES,
            last_attempt_at__gte=since,
            last_attempt_at__lt=until,
        )
        .values("phone")
        .annotate(taken=Count("id"))
        .order_by()
    )
    return [(row["phone"], row["taken"]) for row in rows]


def messages_due(*, now: datetime.datetime) -> QuerySet[OutboundMessage]:
    return OutboundMessage.objects.filter(
        status=MessageStatus.QUEUED, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
