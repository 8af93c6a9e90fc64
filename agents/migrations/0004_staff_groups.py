"""The three staff levels as permission groups. Row scoping (which branch) comes from
each user's StaffProfile; the groups decide what they may do."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; these groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in codenames
        ]
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_status_history_append_only"),
        ("core", "0002_provinces"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
