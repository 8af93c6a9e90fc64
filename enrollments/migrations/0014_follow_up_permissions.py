from django.db import migrations

from core.db import grant_to_groups

VIEW = [
    ("enrollments", f"view_{model}")
    for model in ("followupcontact", "deathreport", "followupqueueentry")
]
# Closing a death report is the branch's work; the region and head office look on.
GROUPS = {
    "Staf Kantor Cabang": [*VIEW, ("enrollments", "change_deathreport")],
    "Staf Kantor Wilayah": VIEW,
    "Staf Kantor Pusat": VIEW,
}


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0013_follow_up_queue")]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
