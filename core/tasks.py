from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="core.ping")
def ping() -> str:
    """Answers "pong": `celery -A config call core.ping` shows a worker consumes the queue."""
    return "pong"


@shared_task(name="core.clear_expired_sessions")
def clear_expired_sessions() -> int:
    """Admin sessions expire but their rows stay; one DELETE clears them nightly."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
