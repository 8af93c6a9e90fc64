"""The BPU reference data confirmed by public sources (docs: domain facts, section 1):
JKK 1% and JHT 2% of the declared income, JKM Rp6,800 flat, the Rp1,000,000 income
level, and common informal occupations. Further income levels and reliefs are entered
by head office in the admin, with their effective dates."""

import datetime
from decimal import Decimal

from django.db import migrations

SINCE = datetime.date(2015, 7, 1)  # PP 44/2015

OCCUPATIONS = [
    ("fisher", "Nelayan", "Fisher"),
    ("farmer", "Petani", "Farmer"),
    ("livestock-farmer", "Peternak", "Livestock farmer"),
    ("trader", "Pedagang", "Trader"),
    ("street-vendor", "Pedagang kaki lima", "Street vendor"),
    ("motorcycle-taxi", "Pengemudi ojek", "Motorcycle taxi driver"),
    ("online-driver", "Mitra pengemudi daring", "Ride-hailing driver"),
    ("angkot-driver", "Sopir angkot", "Minibus (angkot) driver"),
    ("day-labourer", "Buruh harian lepas", "Day labourer"),
    ("porter", "Kuli angkut", "Porter"),
    ("tailor", "Penjahit", "Tailor"),
    ("artisan", "Pengrajin", "Artisan"),
    ("domestic-worker", "Pekerja rumah tangga", "Domestic worker"),
    ("religious-teacher", "Guru ngaji", "Religious teacher"),
    ("other", "Lainnya", "Other"),
]


def load(apps, schema_editor):
    IncomeLevel = apps.get_model("enrollments", "IncomeLevel")
    ProgramRate = apps.get_model("enrollments", "ProgramRate")
    Occupation = apps.get_model("enrollments", "Occupation")
    if not IncomeLevel.objects.exists():
        IncomeLevel.objects.create(amount=1_000_000, effective_from=SINCE)
    if not ProgramRate.objects.exists():
        ProgramRate.objects.bulk_create(
            [
                ProgramRate(
                    program="JKK", percent_of_income=Decimal("1.000"), effective_from=SINCE
                ),
                ProgramRate(program="JKM", flat_amount=6800, effective_from=SINCE),
                ProgramRate(
                    program="JHT", percent_of_income=Decimal("2.000"), effective_from=SINCE
                ),
            ]
        )
    existing = set(Occupation.objects.values_list("code", flat=True))
    Occupation.objects.bulk_create(
        [
            Occupation(code=code, name=name, name_en=name_en, effective_from=SINCE)
            for code, name, name_en in OCCUPATIONS
            if code not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
