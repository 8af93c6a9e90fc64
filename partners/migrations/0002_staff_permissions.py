from django.db import migrations

from core.db import grant_to_groups

MODELS = ("partner", "partnerapikey", "partnersigningsecret", "company", "permitcheck")
VIEW = [
    ("partners", "view_company"),
    ("partners", "view_permitcheck"),
    ("partners", "view_partner"),
]
HEAD_OFFICE = [
    *[("partners", f"view_{model}") for model in MODELS],
    *[("partners", f"add_{model}") for model in ("partner", "company")],
    *[("partners", f"change_{model}") for model in ("partner", "partnerapikey", "company")],
]
GROUPS = {
    "Staf Kantor Cabang": VIEW,
    "Staf Kantor Wilayah": VIEW,
    "Staf Kantor Pusat": HEAD_OFFICE,
}


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0001_initial"),
        ("agents", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
