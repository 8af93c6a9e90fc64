from celery import shared_task

from partners.services.snap import snap_external_ids_purge


@shared_task(name="partners.purge_snap_external_ids")
def purge_snap_external_ids() -> dict[str, int]:
    """Nightly: the SNAP X-EXTERNAL-IDs of days before yesterday, which guard nothing."""
    return {"purged": snap_external_ids_purge()}
