"""Head office runs the messages: the outbox (view, retry, cancel), the templates and the
opt-outs. Branch and region staff get nothing here: the outbox is national and knows no
branches, so it cannot be scoped to one."""

from django.db import migrations

from core.db import grant_to_groups

HEAD_OFFICE = [
    ("notifications", "view_outboundmessage"),
    ("notifications", "change_outboundmessage"),
    ("notifications", "view_messagetemplate"),
    ("notifications", "add_messagetemplate"),
    ("notifications", "change_messagetemplate"),
    ("notifications", "delete_messagetemplate"),
    ("notifications", "view_phoneoptout"),
    ("notifications", "add_phoneoptout"),
    ("notifications", "delete_phoneoptout"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_seed_templates"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(
            grant_to_groups({"Staf Kantor Pusat": HEAD_OFFICE}), migrations.RunPython.noop
        )
    ]
