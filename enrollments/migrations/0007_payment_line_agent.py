import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE enrollments_paymentline SET agent_id = (
    SELECT r.agent_id FROM enrollments_registration r
    WHERE r.id = enrollments_paymentline.registration_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0004_staff_groups"),
        ("enrollments", "0006_participant_nik_province"),
    ]

    operations = [
        migrations.AddField(
            model_name="paymentline",
            name="agent",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agents.agent",
                verbose_name="agent",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="paymentline",
            name="agent",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="agents.agent",
                verbose_name="agent",
            ),
        ),
        migrations.AddIndex(
            model_name="paymentline",
            index=models.Index(fields=["agent", "paid_at"], name="payment_line_agent_paid"),
        ),
    ]
