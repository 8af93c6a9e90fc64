from django.db import migrations

from core.db import grant_to_groups

VIEW = [
    ("enrollments", f"view_{model}")
    for model in ("paymentline", "payment", "paymentreversal", "sponsor", "sponsorship")
]
GROUPS = {
    "Staf Kantor Cabang": [("enrollments", "view_paymentline"), ("enrollments", "view_sponsor")],
    "Staf Kantor Wilayah": [("enrollments", "view_paymentline"), ("enrollments", "view_sponsor")],
    "Staf Kantor Pusat": [
        *VIEW,
        ("enrollments", "add_sponsor"),
        ("enrollments", "change_sponsor"),
        ("enrollments", "add_sponsorship"),
        ("partners", "view_refusedrequest"),
    ],
}


class Migration(migrations.Migration):
    dependencies = [
        ("enrollments", "0004_payments_and_sponsors"),
        ("partners", "0003_refused_requests"),
    ]

    operations = [migrations.RunPython(grant_to_groups(GROUPS), migrations.RunPython.noop)]
