from django.db import migrations

from core.db import grant_to_groups

VIEW = [
    ("enrollments", f"view_{model}")
    for model in (
        "participant",
        "registration",
        "incomelevel",
        "programrate",
        "contributionrelief",
        "occupation",
    )
]
REFERENCE_CHANGE = [
    ("enrollments", f"{action}_{model}")
    for model in ("incomelevel", "programrate", "contributionrelief", "occupation")
    for action in ("add", "change")
]
GROUPS = {
    "Staf Kantor Cabang": VIEW,
    "Staf Kantor Wilayah": VIEW,
    "Staf Kantor Pusat": VIEW + REFERENCE_CHANGE,
}


class Migration(migrations.Migration):
    dependencies = [
        ("enrollments", "0002_reference_data"),
        ("agents", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
