"""What the gateway tells us back: delivery receipts, and the workers' replies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from notifications import rules
from notifications.errors import UnknownMessageError
from notifications.models import MessageStatus, OptOutSource, OutboundMessage, PhoneOptOut
from notifications.services.opt_outs import phone_opt_out

RECEIPT_ERROR_MAX = 280
# A "failed" receipt is believed for a message the gateway may have had; "delivered"
# for any message not already delivered: the phone has it, whatever we thought.
_FAILED_FROM = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.QUEUED)


class ReceiptStatus:
    DELIVERED = "delivered"
    FAILED = "failed"
    ALL = (DELIVERED, FAILED)


@dataclass(frozen=True)
class ReceiptResult:
    message: OutboundMessage
    changed: bool


@transaction.atomic
def delivery_receipt_record(
    *, message_id: uuid.UUID, status: str, error: str = ""
) -> ReceiptResult:
    """Applies a gateway's receipt. Receipts come more than once and out of order: a
    repeat changes nothing, ``delivered`` is final, an unknown id is refused."""
    message = OutboundMessage.objects.select_for_update().filter(pk=message_id).first()
    if message is None:
        raise UnknownMessageError()
    now = timezone.now()
    if status == ReceiptStatus.DELIVERED:
        if message.status == MessageStatus.DELIVERED:
            return ReceiptResult(message, False)
        message.status = MessageStatus.DELIVERED
        message.delivered_at = now
        message.save(update_fields=["status", "delivered_at", "updated_at"])
        return ReceiptResult(message, True)
    if message.status not in _FAILED_FROM:
        return ReceiptResult(message, False)
    message.status = MessageStatus.FAILED
    message.last_error = ("gateway: " + rules.mask_long_digit_runs(error or "not delivered"))[
        :RECEIPT_ERROR_MAX
    ]
    message.save(update_fields=["status", "last_error", "updated_at"])
    return ReceiptResult(message, True)


def reply_record(*, phone: str, text: str) -> PhoneOptOut | None:
    """A worker's reply. BERHENTI or STOP (any case, any spacing) opts the phone out;
    anything else is not kept. Returns the opt-out, if the reply was one."""
    if not rules.is_stop_word(text):
        return None
    return phone_opt_out(phone=phone, source=OptOutSource.REPLY)
