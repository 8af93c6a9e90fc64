"""The 38 provinces with their Kemendagri codes."""

from django.db import migrations

from core.geography_data import PROVINCES


def load_provinces(apps, schema_editor):
    Province = apps.get_model("core", "Province")
    existing = set(Province.objects.values_list("code", flat=True))
    Province.objects.bulk_create(
        [Province(code=code, name=name) for code, name in PROVINCES if code not in existing]
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(load_provinces, migrations.RunPython.noop)]
