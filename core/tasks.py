from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.idempotency import idempotency_records_purge


@shared_task(name="core.ping")
def ping() -> str:
    """Answers "pong": `celery -A config call core.ping` shows a worker consumes the queue."""
    return "pong"


@shared_task(name="core.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Admin sessions expire but their rows stay; one DELETE clears them nightly."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task(name="core.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency keys older than the retention period go; client_uuid uniqueness
    still turns a later replay into a duplicate."""
    return idempotency_records_purge()
