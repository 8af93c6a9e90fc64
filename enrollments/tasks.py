from pathlib import Path

from celery import shared_task

from enrollments.models import SettlementImport
from enrollments.services import participant_statuses_refresh
from enrollments.services.reconciliation import settlement_import_run
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


@shared_task(name="enrollments.reconcile_settlement")
def reconcile_settlement(settlement_id: int, path: str) -> dict[str, int | str]:
    """A settlement file uploaded in the admin, reconciled (again, if a worker was lost
    half-way: the run starts from the file and changes nothing already done)."""
    settlement = SettlementImport.objects.select_related("channel").get(pk=settlement_id)
    if settlement.status != SettlementImport.Status.RUNNING:
        return {"status": settlement.status}
    settlement_import_run(settlement=settlement, path=Path(path))
    return {
        "status": settlement.status,
        "matched": settlement.matched,
        "applied": settlement.applied,
        "missing": settlement.missing,
        "mismatched": settlement.mismatched,
        "invalid": settlement.invalid,
    }
