"""The ledger's guarantees in the database, the two Perisai fee schemes, and staff
permissions.

- fee lines are append-only: UPDATE and DELETE are refused;
- a line can only be added to an open statement (an approved or paid one never changes).

The 2018 scheme (7.5% commission, Rp500,000 bonus at 50 new activated participants) and
the later one (15%) are from public sources; the day the second took over is not, and
is set to 1 January 2024 here: head office corrects it in the admin if it differs.
"""

import datetime
from decimal import Decimal

from django.db import migrations

from core.db import append_only, grant_to_groups

OPEN_STATEMENT_ONLY = """
CREATE OR REPLACE FUNCTION fees_refuse_line_on_closed_statement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT status FROM fees_feestatement WHERE id = NEW.statement_id) <> 'open' THEN
        RAISE EXCEPTION 'fee statement % is not open', NEW.statement_id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER fees_feeline_open_statement_only BEFORE INSERT ON fees_feeline
    FOR EACH ROW EXECUTE FUNCTION fees_refuse_line_on_closed_statement();
"""

ledger_forward, ledger_backward = append_only("fees_feeline")


def open_only_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OPEN_STATEMENT_ONLY, params=None)


def open_only_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS fees_feeline_open_statement_only ON fees_feeline"
        )


def schemes(apps, schema_editor):
    FeeScheme = apps.get_model("fees", "FeeScheme")
    if FeeScheme.objects.exists():
        return
    FeeScheme.objects.bulk_create(
        [
            FeeScheme(
                name="Perisai 2018",
                commission_percent=Decimal("7.5"),
                bonus_amount=500_000,
                bonus_min_activations=50,
                override_percent=Decimal("10"),
                effective_from=datetime.date(2018, 1, 1),
                effective_to=datetime.date(2023, 12, 31),
            ),
            FeeScheme(
                name="Perisai 2024",
                commission_percent=Decimal("15"),
                bonus_amount=500_000,
                bonus_min_activations=50,
                override_percent=Decimal("10"),
                effective_from=datetime.date(2024, 1, 1),
            ),
        ]
    )


VIEW = [
    ("fees", f"view_{model}")
    for model in ("feestatement", "feeline", "feescheme", "registrationflag")
]
GROUPS = {
    "Staf Kantor Cabang": [
        *VIEW,
        ("fees", "change_feestatement"),
        ("fees", "change_registrationflag"),
    ],
    "Staf Kantor Wilayah": [
        *VIEW,
        ("fees", "change_feestatement"),
        ("fees", "change_registrationflag"),
    ],
    "Staf Kantor Pusat": [
        *VIEW,
        ("fees", "change_feestatement"),
        ("fees", "change_registrationflag"),
        ("fees", "add_feescheme"),
        ("fees", "change_feescheme"),
    ],
}


class Migration(migrations.Migration):
    dependencies = [("fees", "0001_initial"), ("agents", "0004_staff_groups")]

    operations = [
        migrations.RunPython(ledger_forward, ledger_backward),
        migrations.RunPython(open_only_forward, open_only_backward),
        migrations.RunPython(schemes, migrations.RunPython.noop),
        migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop),
    ]
