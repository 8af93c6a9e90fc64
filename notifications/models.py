"""The outbox, the templates it is written from, and the phones that said stop.

Generic on purpose (DESIGN §2): a message is a phone, a time zone and a text. What a
``dedupe_key`` means is the caller's business; the outbox only keeps it unique.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import audited
from core.models import TimeStampedModel
from notifications import rules

# Named once: the services tell a repeated enqueue from other refusals by it.
OUTBOX_DEDUPE_UNIQUE = "outbound_message_dedupe_key_unique"
OPT_OUT_PHONE_UNIQUE = "phone_opt_out_phone_unique"
TEMPLATE_VERSION_UNIQUE = "message_template_kind_from_unique"


class MessageKind(models.TextChoices):
    # The values are rules.py's, where each kind's placeholders are listed.
    WELCOME = rules.WELCOME, _("Welcome after registration")
    REMINDER_DUE = rules.REMINDER_DUE, _("Reminder before coverage ends")
    ARREARS_1 = rules.ARREARS_1, _("One month in arrears")
    ARREARS_2 = rules.ARREARS_2, _("Two months in arrears")
    LAPSE_NOTICE = rules.LAPSE_NOTICE, _("Lapse notice")
    RECEIPT = rules.RECEIPT, _("Payment receipt")
    MANUAL = rules.MANUAL, _("Written by staff")


TEMPLATE_KINDS = [(value, label) for value, label in MessageKind.choices if value != rules.MANUAL]


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class CancelReason(models.TextChoices):
    OPTED_OUT = "opted_out", _("The phone opted out")
    BY_STAFF = "by_staff", _("Cancelled by staff")


# Not audited: high volume, and its own columns already record the attempts, the status
# and who wrote it.
class OutboundMessage(TimeStampedModel):
    """One message to one phone, written in the transaction of the event that causes it
    and sent later by a worker. Never deleted: a message that could not be sent ends
    ``failed`` with its last error, one that must not be sent ``cancelled`` with why."""

    Kind = MessageKind
    Status = MessageStatus
    CancelReason = CancelReason

    # Random, not sequential: it is the gateway's idempotency key and travels outside.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = models.CharField(_("phone (E.164)"), max_length=16)
    time_zone = models.CharField(_("recipient's time zone"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    text = models.TextField(_("text"))
    dedupe_key = models.CharField(_("deduplication key"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    cancel_reason = models.CharField(
        _("why cancelled"), max_length=20, choices=CancelReason.choices, blank=True
    )
    provider_message_id = models.CharField(_("gateway's message id"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name=OUTBOX_DEDUPE_UNIQUE),
            models.CheckConstraint(
                condition=models.Q(status__in=MessageStatus.values),
                name="outbound_message_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=MessageKind.values),
                name="outbound_message_kind_known",
            ),
        ]
        indexes = [
            # The sweep's question, every minute: what is queued and due? Partial, so it
            # stays the size of the queue, not of the history.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status=MessageStatus.QUEUED),
                name="outbound_message_due",
            ),
            # The daily cap's question: what went to this phone since local midnight?
            models.Index(fields=["phone", "last_attempt_at"], name="outbound_message_phone_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {rules.mask_phone(self.phone)} {self.status}"

    @property
    def phone_masked(self) -> str:
        return rules.mask_phone(self.phone)


@audited()
class MessageTemplate(TimeStampedModel):
    """The text of a kind of message, from a day on (the recipient's local day): the
    version with the latest ``effective_from`` on or before that day is used. Versions
    already in force are never rewritten; a change is a new version."""

    kind = models.CharField(_("kind"), max_length=20, choices=TEMPLATE_KINDS)
    effective_from = models.DateField(_("in force from"))
    text = models.TextField(
        _("text"),
        max_length=1000,
        help_text=_("Named placeholders in braces, e.g. {participant_number}."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )

    class Meta:
        ordering = ["kind", "-effective_from"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "effective_from"], name=TEMPLATE_VERSION_UNIQUE
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=[value for value, _label in TEMPLATE_KINDS]),
                name="message_template_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.effective_from})"


class OptOutSource(models.TextChoices):
    REGISTRATION = "registration", _("At registration")
    REPLY = "reply", _("Replied BERHENTI/STOP")
    ADMIN = "admin", _("Staff, in the admin")


@audited()
class PhoneOptOut(models.Model):
    """A phone that receives nothing more. Removing the row lets messages through again
    (for messages written after; those cancelled stay cancelled)."""

    Source = OptOutSource

    phone = models.CharField(_("phone (E.164)"), max_length=16)
    source = models.CharField(_("source"), max_length=20, choices=OptOutSource.choices)
    opted_out_at = models.DateTimeField(_("opted out at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-opted_out_at"]
        verbose_name = _("opt-out")
        verbose_name_plural = _("opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["phone"], name=OPT_OUT_PHONE_UNIQUE),
            models.CheckConstraint(
                condition=models.Q(source__in=OptOutSource.values),
                name="phone_opt_out_source_known",
            ),
        ]

    def __str__(self) -> str:
        return rules.mask_phone(self.phone)
