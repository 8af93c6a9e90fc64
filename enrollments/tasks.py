from celery import shared_task

from enrollments.services import participant_statuses_refresh


@shared_task(name="enrollments.refresh_participant_statuses")
def refresh_participant_statuses() -> dict[str, int]:
    """Nightly (and on demand): participants lapse to non-active, or come back."""
    result = participant_statuses_refresh()
    return {"lapsed": result.lapsed, "restored": result.restored}
