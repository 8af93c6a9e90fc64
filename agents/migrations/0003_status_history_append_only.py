from django.db import migrations

from core.db import append_only

forward, backward = append_only("agents_agentstatuschange")


class Migration(migrations.Migration):
    dependencies = [("agents", "0002_agents")]

    operations = [migrations.RunPython(forward, backward)]
