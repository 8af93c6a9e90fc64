from celery import shared_task

from enrollments.services import participant_statuses_refresh
from enrollments.services.reminders import reminders_plan


@shared_task(name="enrollments.refresh_participant_statuses")
def refresh_participant_statuses() -> dict[str, int]:
    """Nightly (and on demand): participants lapse to non-active, or come back."""
    result = participant_statuses_refresh()
    return {"lapsed": result.lapsed, "restored": result.restored}


@shared_task(name="enrollments.plan_reminders")
def plan_reminders() -> dict[str, int]:
    """Nightly: today's reminders to workers (due, arrears, lapse), each written once;
    sent from 08:00 in the worker's zone."""
    return {"planned": reminders_plan()}
