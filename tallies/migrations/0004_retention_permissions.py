from django.db import migrations

from core.db import grant_to_groups

# Every staff group reads the retention figures in the admin, within its branches; nobody
# edits them (the recompute writes them).
VIEW = [("tallies", f"view_{model}") for model in ("retentioncohort", "agentretentioncohort")]
GROUPS = {
    "Staf Kantor Cabang": VIEW,
    "Staf Kantor Wilayah": VIEW,
    "Staf Kantor Pusat": VIEW,
}


class Migration(migrations.Migration):
    dependencies = [("tallies", "0003_retention_cohorts")]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
