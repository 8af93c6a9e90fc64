"""Every write to the outbox, its templates and opt-outs goes through here. Other apps
call ``message_enqueue`` (one message, e.g. a welcome or a receipt) and
``messages_enqueue`` (a batch) or ``messages_enqueue_select`` (a planner's set, written
by the database), inside the transaction of their event."""

from notifications.services.feedback import (
    ReceiptResult,
    ReceiptStatus,
    delivery_receipt_record,
    reply_record,
)
from notifications.services.opt_outs import phone_opt_in, phone_opt_out, phones_opt_out
from notifications.services.outbox import (
    Enqueued,
    NewMessage,
    message_enqueue,
    messages_enqueue,
    messages_enqueue_select,
)
from notifications.services.sending import (
    SendReport,
    message_send,
    messages_cancel,
    messages_release_stuck,
    messages_retry,
    outbox_drain,
)
from notifications.services.templates import (
    message_template_create,
    message_template_delete,
    message_template_update,
    template_has_begun,
)

__all__ = [
    "Enqueued",
    "NewMessage",
    "ReceiptResult",
    "ReceiptStatus",
    "SendReport",
    "delivery_receipt_record",
    "message_enqueue",
    "message_send",
    "message_template_create",
    "message_template_delete",
    "message_template_update",
    "messages_cancel",
    "messages_enqueue",
    "messages_enqueue_select",
    "messages_release_stuck",
    "messages_retry",
    "outbox_drain",
    "phone_opt_in",
    "phone_opt_out",
    "phones_opt_out",
    "reply_record",
    "template_has_begun",
]
