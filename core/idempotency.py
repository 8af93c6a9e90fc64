"""Idempotent writes keyed by the client's Idempotency-Key.

The key is claimed by inserting its row first, inside the transaction that does the
work, and the answer is stored in that row before commit. A concurrent request with the
same key blocks on the unique index until the first commits, then finds the row and
replays its answer: it waits and replays instead of failing or doing the work twice.
Validation errors (400) are not stored, so a corrected request may reuse the key;
domain refusals (409, 422) are, and are replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.utils.encoders import JSONEncoder

from core.exceptions import ApplicationError, error_body
from core.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
STORED_ERROR_STATUSES = frozenset({status.HTTP_409_CONFLICT, status.HTTP_422_UNPROCESSABLE_ENTITY})


class IdempotencyKeyRequiredError(ApplicationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "idempotency_key_required"
    default_message = _("Send an Idempotency-Key header (a UUID) with this request.")


class IdempotencyKeyMismatchError(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_mismatch"
    default_message = _("This Idempotency-Key was already used with another request body.")


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def checked_key(raw: str | None) -> str:
    key = (raw or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise IdempotencyKeyRequiredError()
    return key


@transaction.atomic
def idempotent_call(
    *, scope: str, key: str, payload_hash: str, work: Callable[[], tuple[int, Any]]
) -> Answer:
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key, request_hash=payload_hash
            )
    except IntegrityError:
        existing = IdempotencyRecord.objects.get(scope=scope, key=key)
        if existing.request_hash != payload_hash:
            raise IdempotencyKeyMismatchError() from None
        return Answer(
            status=existing.response_status or 200,
            body=json.loads(existing.response_body),
            replayed=True,
        )

    try:
        with transaction.atomic():
            answer_status, body = work()
    except ApplicationError as exc:
        if exc.status_code not in STORED_ERROR_STATUSES:
            raise
        answer_status, body = (
            exc.status_code,
            error_body(exc.code, exc.message, exc.fields) | exc.extra,
        )
    record.response_status = answer_status
    record.response_body = json.dumps(body, cls=JSONEncoder)
    record.save(update_fields=["response_status", "response_body"])
    return Answer(status=answer_status, body=json.loads(record.response_body))


def idempotency_records_purge(*, now: Any = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IDEMPOTENCY_KEY_RETENTION_DAYS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
