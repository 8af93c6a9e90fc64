from django.db import migrations

from core.db import grant_to_groups

VIEW = [("tallies", f"view_{model}") for model in ("branchtarget", "labourforce", "dailytally")]
GROUPS = {
    "Staf Kantor Cabang": VIEW,
    "Staf Kantor Wilayah": [
        *VIEW,
        ("tallies", "add_branchtarget"),
        ("tallies", "change_branchtarget"),
    ],
    "Staf Kantor Pusat": [
        *VIEW,
        ("tallies", "add_branchtarget"),
        ("tallies", "change_branchtarget"),
        ("tallies", "add_labourforce"),
        ("tallies", "change_labourforce"),
    ],
}


class Migration(migrations.Migration):
    dependencies = [("tallies", "0001_initial"), ("agents", "0004_staff_groups")]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
