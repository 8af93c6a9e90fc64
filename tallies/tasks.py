import datetime

from celery import shared_task
from django.utils import timezone

from tallies.services import tallies_recompute


@shared_task(name="tallies.recompute_day")
def recompute_day(day: str) -> int:
    return tallies_recompute(day=datetime.date.fromisoformat(day))


@shared_task(name="tallies.recompute_recent")
def recompute_recent() -> list[int]:
    """Nightly: yesterday (now complete) and today (so far), in every branch's calendar;
    the retention cohorts once, with today's pass."""
    today = timezone.localdate()
    return [
        tallies_recompute(day=today - datetime.timedelta(days=1), retention=False),
        tallies_recompute(day=today),
    ]
