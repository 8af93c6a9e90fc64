"""The three staff levels as permission groups. Row scoping (which branch) comes from
each user's StaffProfile; the groups decide what they may do."""

from django.db import migrations

from core.db import grant_to_groups

BRANCH_AND_REGION = [
    ("agents", "view_region"),
    ("agents", "view_branch"),
    ("agents", "view_kantorperisai"),
    ("agents", "add_kantorperisai"),
    ("agents", "change_kantorperisai"),
    ("agents", "view_agent"),
    ("agents", "add_agent"),
    ("agents", "change_agent"),
    ("agents", "view_agenttraining"),
    ("agents", "add_agenttraining"),
    ("agents", "view_agentstatuschange"),
    ("core", "view_province"),
    ("core", "view_regency"),
]
HEAD_OFFICE = [
    *BRANCH_AND_REGION,
    ("agents", "add_region"),
    ("agents", "change_region"),
    ("agents", "add_branch"),
    ("agents", "change_branch"),
    ("agents", "view_staffprofile"),
    ("agents", "add_staffprofile"),
    ("agents", "change_staffprofile"),
    ("core", "change_province"),
    ("core", "add_regency"),
    ("core", "change_regency"),
]
GROUPS = {
    "Staf Kantor Cabang": BRANCH_AND_REGION,
    "Staf Kantor Wilayah": BRANCH_AND_REGION,
    "Staf Kantor Pusat": HEAD_OFFICE,
}


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_status_history_append_only"),
        ("core", "0002_provinces"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
