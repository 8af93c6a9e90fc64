"""Writing to the outbox, in the caller's transaction: the event and its message commit
together or not at all. Sending is queued only after commit; without a broker the rows
wait for the sweep (notifications.send_due, every minute)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, Value
from django.db.models.expressions import Combinable
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outage
from core.exceptions import InvalidInputError
from core.expressions import ConcatText
from core.messages import phone_error_message
from core.phone import PhoneError, normalise_phone
from notifications import rules, selectors
from notifications.errors import TemplateMissingError
from notifications.models import (
    CancelReason,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    PhoneOptOut,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DEDUPE_KEY_MAX = 200
MANUAL_TEXT_MAX = 1000
BULK_CHUNK = 1000


@dataclass(frozen=True)
class NewMessage:
    """A message a caller wants written. ``context`` fills the template of ``kind`` in
    force on the recipient's local day (exactly the kind's placeholders, see
    ``notifications.rules.PLACEHOLDERS``); a ``manual`` message brings its ``text``."""

    phone: str
    time_zone: str
    kind: str
    dedupe_key: str
    context: Mapping[str, object] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class Enqueued:
    message: OutboundMessage
    created: bool


def _refused(name: str, message: str) -> InvalidInputError:
    return InvalidInputError(fields={name: [message]})


class _Renderer:
    """Texts from the templates in force, loaded once per local day per batch."""

    def __init__(self) -> None:
        self._by_day: dict[datetime.date, dict[str, str]] = {}

    def text(self, new: NewMessage, day: datetime.date) -> str:
        if new.kind == MessageKind.MANUAL:
            text = new.text.strip()
            if not text or len(text) > MANUAL_TEXT_MAX:
                raise _refused(
                    "text",
                    _("Write a message of at most %(max)d characters.") % {"max": MANUAL_TEXT_MAX},
                )
            return text
        try:
            rules.context_check(new.kind, new.context)
        except rules.TemplateTextError as error:
            raise _refused(
                "context",
                _("The message needs exactly these values: %(names)s.")
                % {"names": ", ".join(sorted(rules.PLACEHOLDERS[new.kind]))},
            ) from error
        if day not in self._by_day:
            self._by_day[day] = {
                kind: template.text
                for kind, template in selectors.templates_in_force(
                    kinds=set(rules.PLACEHOLDERS), on=day
                ).items()
            }
        template = self._by_day[day].get(new.kind)
        if template is None:
            raise TemplateMissingError()
        return rules.render(template, new.context)


def _prepared(
    new: NewMessage,
    *,
    now: datetime.datetime,
    not_before: datetime.datetime | None,
    renderer: _Renderer,
    opted_out: set[str] | None,
    by: User | None,
) -> OutboundMessage:
    try:
        phone = normalise_phone(new.phone)
    except PhoneError:
        raise _refused("phone", phone_error_message()) from None
    if not rules.zone_known(new.time_zone):
        raise _refused("time_zone", _("Give the recipient's time zone, e.g. Asia/Makassar."))
    if new.kind not in MessageKind.values:
        raise _refused("kind", _("Unknown kind of message."))
    if not new.dedupe_key or len(new.dedupe_key) > DEDUPE_KEY_MAX:
        raise _refused("dedupe_key", _("Give a deduplication key of at most 200 characters."))
    earliest = max(now, not_before) if not_before else now
    local_day = timezone.localtime(earliest, rules.zone_of(new.time_zone)).date()
    is_opted_out = (
        phone in opted_out if opted_out is not None else selectors.phone_opted_out(phone=phone)
    )
    return OutboundMessage(
        phone=phone,
        time_zone=new.time_zone,
        kind=new.kind,
        text=renderer.text(new, local_day),
        dedupe_key=new.dedupe_key,
        status=MessageStatus.CANCELLED if is_opted_out else MessageStatus.QUEUED,
        cancel_reason=CancelReason.OPTED_OUT if is_opted_out else "",
        next_attempt_at=rules.sending_time(
            earliest,
            new.time_zone,
            from_hour=settings.NOTIFICATIONS_SEND_FROM_HOUR,
            until_hour=settings.NOTIFICATIONS_SEND_UNTIL_HOUR,
        ),
        created_by=by,
    )


def message_enqueue(
    *,
    phone: str,
    time_zone: str,
    kind: str,
    dedupe_key: str,
    context: Mapping[str, object] | None = None,
    text: str = "",
    not_before: datetime.datetime | None = None,
    by: User | None = None,
) -> Enqueued:
    """Writes one message in the caller's transaction, at most once per ``dedupe_key``
    (a second call returns the first message, ``created=False``). Sent after commit
    once the recipient's sending hours allow; to an opted-out phone it is written
    ``cancelled``."""
    new = NewMessage(phone, time_zone, kind, dedupe_key, context or {}, text)
    message = _prepared(
        new,
        now=timezone.now(),
        not_before=not_before,
        renderer=_Renderer(),
        opted_out=None,
        by=by,
    )
    # ON CONFLICT DO NOTHING: a repeat neither raises nor spoils the caller's transaction.
    # The id is drawn here, so whether this row is the one stored says who wrote it.
    OutboundMessage.objects.bulk_create([message], ignore_conflicts=True)
    stored = OutboundMessage.objects.get(dedupe_key=message.dedupe_key)
    created = stored.pk == message.pk
    if created and stored.status == MessageStatus.QUEUED:
        transaction.on_commit(partial(_queue_send, str(stored.pk), stored.next_attempt_at))
    return Enqueued(stored, created)


def messages_enqueue(
    *, messages: Iterable[NewMessage], not_before: datetime.datetime | None = None
) -> int:
    """A planner's batch, set-based: ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``
    in chunks, in the caller's transaction. Returns how many messages were new; running
    the planner again writes none. Every message is checked before any is written."""
    now = timezone.now()
    items = list(messages)
    renderer = _Renderer()
    opted_out = selectors.phones_opted_out(
        phones={phone for phone in (_normalised_or_none(new.phone) for new in items) if phone}
    )
    prepared = [
        _prepared(
            new, now=now, not_before=not_before, renderer=renderer, opted_out=opted_out, by=None
        )
        for new in items
    ]
    created = 0
    for start in range(0, len(prepared), BULK_CHUNK):
        chunk = prepared[start : start + BULK_CHUNK]
        OutboundMessage.objects.bulk_create(chunk, ignore_conflicts=True)
        # Ids are drawn in Python: the rows found under them are exactly the ones written.
        created += OutboundMessage.objects.filter(pk__in=[m.pk for m in chunk]).count()
    if created:
        transaction.on_commit(queue_sweep)
    return created


def _text_expression(template: str, context: Mapping[str, Combinable]) -> Combinable:
    """The template filled in SQL: its literal pieces as parameters, each placeholder by
    the caller's expression, in order (a value is never read as a template)."""
    parts: list[Combinable] = []
    for literal, name in rules.template_pieces(template):
        if literal:
            parts.append(Value(literal))
        if name is not None:
            parts.append(context[name])
    return ConcatText(*parts) if parts else Value("")


# The columns a set-based write fills, in the order of its SELECT list.
_SELECT_WRITES = (
    "id",
    "phone",
    "time_zone",
    "kind",
    "text",
    "dedupe_key",
    "status",
    "cancel_reason",
    "attempts",
    "next_attempt_at",
    "last_error",
    "provider_message_id",
    "created_at",
    "updated_at",
)


def _new_id_sql() -> str:
    if connection.vendor == "postgresql":
        return "gen_random_uuid()"
    return "lower(hex(randomblob(16)))"  # a UUIDField's form on SQLite: 32 hex digits


def messages_enqueue_select(
    *,
    kind: str,
    time_zone: str,
    rows: QuerySet[Any],
    phone: Combinable,
    dedupe_key: Combinable,
    context: Mapping[str, Combinable],
    now: datetime.datetime | None = None,
) -> int:
    """A planner's batch written by the database in one statement: one message of
    ``kind`` per row of ``rows``, to ``phone`` (already E.164, as stored by the caller;
    rows with none are skipped), in ``time_zone``, its text the template in force on the
    recipient's local day filled with ``context`` (an expression per placeholder, text
    as it should read). ``INSERT ... SELECT ... ON CONFLICT (dedupe_key) DO NOTHING`` in
    the caller's transaction, with no Python loop over the rows: the nightly planning of
    a million participants stays a handful of statements. Returns how many are new."""
    if kind == MessageKind.MANUAL or kind not in MessageKind.values:
        raise _refused("kind", _("Unknown kind of message."))
    if not rules.zone_known(time_zone):
        raise _refused("time_zone", _("Give the recipient's time zone, e.g. Asia/Makassar."))
    try:
        rules.context_check(kind, context)
    except rules.TemplateTextError as error:
        raise _refused(
            "context",
            _("The message needs exactly these values: %(names)s.")
            % {"names": ", ".join(sorted(rules.PLACEHOLDERS[kind]))},
        ) from error
    now = now or timezone.now()
    local_day = timezone.localtime(now, rules.zone_of(time_zone)).date()
    template = selectors.templates_in_force(kinds={kind}, on=local_day).get(kind)
    if template is None:
        raise TemplateMissingError()
    source = (
        rows.annotate(m_phone=phone)
        .exclude(m_phone="")
        .values(
            "m_phone",
            m_dedupe=dedupe_key,
            m_text=_text_expression(template.text, context),
        )
        .order_by()
    )
    select_sql, select_params = source.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(OutboundMessage._meta.db_table)
    opt_outs = quote(PhoneOptOut._meta.db_table)
    column_of = {field.name: field.column for field in OutboundMessage._meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in _SELECT_WRITES)
    dedupe = quote(column_of["dedupe_key"])
    # Names from the models and Django's compiled query; every value is a parameter.
    opted_out = f"EXISTS (SELECT 1 FROM {opt_outs} o WHERE o.phone = src.m_phone)"  # noqa: S608
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {_new_id_sql()}, src.m_phone, %s, %s, src.m_text, src.m_dedupe, "
        f"CASE WHEN {opted_out} THEN %s ELSE %s END, "
        f"CASE WHEN {opted_out} THEN %s ELSE '' END, "
        f"0, %s, '', '', %s, %s "
        f"FROM ({select_sql}) src "
        # Rows written before are skipped by an anti-join, cheaper than a conflict each
        # (a rerun reads, it does not try to write); ON CONFLICT settles a race.
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} m WHERE m.{dedupe} = src.m_dedupe) "
        f"ON CONFLICT ({dedupe}) DO NOTHING"
    )
    due_at = rules.sending_time(
        now,
        time_zone,
        from_hour=settings.NOTIFICATIONS_SEND_FROM_HOUR,
        until_hour=settings.NOTIFICATIONS_SEND_UNTIL_HOUR,
    )
    stamp = connection.ops.adapt_datetimefield_value
    params = [
        time_zone,
        kind,
        MessageStatus.CANCELLED.value,
        MessageStatus.QUEUED.value,
        CancelReason.OPTED_OUT.value,
        stamp(due_at),
        stamp(now),
        stamp(now),
        *select_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created = max(cursor.rowcount, 0)
    if created:
        transaction.on_commit(queue_sweep)
    return created


def _normalised_or_none(raw: str) -> str | None:
    try:
        return normalise_phone(raw)
    except PhoneError:
        return None


def _queue_send(message_id: str, due_at: datetime.datetime) -> None:
    """After commit. A message not due yet (quiet hours) is left to the sweep."""
    from notifications.tasks import send_message

    if due_at > timezone.now():
        return
    _publish(lambda: send_message.delay(message_id))


def queue_sweep() -> None:
    """After commit: the sweep sends what is due now."""
    from notifications.tasks import send_due

    _publish(send_due.delay)


def _publish(send: Callable[[], object]) -> None:
    """A publish the request does not wait on when Redis has just failed: the message is
    in the outbox already, and the sweep sends it once the broker answers."""
    try:
        if outage.redis_recently_failed():
            raise ConnectionError("Redis failed moments ago")
        send()
    except Exception as exc:  # kombu's OperationalError, or the transport's own
        outage.redis_failed()
        _kept_for_sweep(exc)


def _kept_for_sweep(exc: Exception) -> None:
    # The message is in the outbox already; the sweep sends it once the broker answers.
    logger.warning(
        "notifications: broker unreachable, message left to the sweep",
        extra={"error": type(exc).__name__},
    )
