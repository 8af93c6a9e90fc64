"""Demo partners (README, "Demo accounts"): PTSP-7471 (Kota Kendari), a PATEN office,
payment channel BANK-DEMO, and companies covering every permit decision. A key for
PTSP-7471 is created and printed the first time only."""

import datetime

from django.utils import timezone

from core.demo import DemoContext, demo_ensure
from core.models import Province, Regency
from partners import services
from partners.models import Company, Partner, PartnerApiKey, PartnerKind

# code, name, kind, regency codes, province codes
PARTNERS = [
    ("PTSP-7471", "DPMPTSP Kota Kendari", PartnerKind.PTSP, ["7471"], []),
    ("PATEN-747101", "Kecamatan Mandonga (PATEN)", PartnerKind.PATEN, ["7471"], []),
    ("PTSP-74", "DPMPTSP Provinsi Sulawesi Tenggara", PartnerKind.PTSP, [], ["74"]),
    ("BANK-DEMO", "Bank Demo (kanal pembayaran)", PartnerKind.PAYMENT_CHANNEL, [], []),
]

# nib, npwp, name, regency, npp, reported, enrolled, arrears: every decision and reason
# in Kota Kendari, and one company in Manado, outside PTSP-7471's jurisdiction
COMPANIES = [
    ("9120001234567", "012345678901000", "CV Bahari Kendari", "7471", "NPP74710001", 12, 12, 0),
    ("9120001234568", "0123456789012000", "UD Sagu Mandonga", "7471", "NPP74710002", 20, 14, 0),
    ("9120001234569", "", "PT Pelabuhan Kendari Jaya", "7471", "NPP74710003", 150, 150, 4),
    ("9120001234570", "", "CV Kopra Abeli", "7471", "NPP74710004", 8, 5, 6),
    ("9120001234571", "", "Toko Kelontong Bunga", "7471", "", 3, 0, 0),
    ("9120001234572", "", "PT Cengkeh Manado", "7171", "NPP71710001", 30, 30, 0),
]


def seed(context: DemoContext) -> None:
    for code, name, kind, regency_codes, province_codes in PARTNERS:
        if Partner.objects.filter(code=code).exists():
            continue  # the user's to change now
        partner = demo_ensure(
            model=Partner, lookup={"code": code}, data={"name": name, "kind": kind}
        )
        partner.jurisdiction_regencies.add(*Regency.objects.filter(code__in=regency_codes))
        partner.jurisdiction_provinces.add(*Province.objects.filter(code__in=province_codes))

    updated_at = timezone.now() - datetime.timedelta(days=1)
    created = 0
    for nib, npwp, name, regency, npp, reported, enrolled, arrears in COMPANIES:
        if Company.objects.filter(nib=nib).exists():
            continue
        Company.objects.create(
            nib=nib,
            npwp=("0" + npwp if len(npwp) == 15 else npwp),
            name=name,
            regency_id=regency,
            npp=npp,
            reported_workforce=reported,
            enrolled_active=enrolled,
            arrears_months=arrears,
            source="seed_demo",
            source_updated_at=updated_at,
        )
        created += 1
    context.note(f"{len(PARTNERS)} partners, {len(COMPANIES)} companies ({created} new)")

    ptsp = Partner.objects.get(code="PTSP-7471")
    if not PartnerApiKey.objects.filter(partner=ptsp).exists():
        _key, raw = services.partner_key_create(partner=ptsp, label="demo")
        context.secret(f"API key of PTSP-7471 (shown once): Api-Key {raw}")
    bank = Partner.objects.get(code="BANK-DEMO")
    if not PartnerApiKey.objects.filter(partner=bank).exists():
        _key, raw = services.partner_key_create(partner=bank, label="demo")
        _secret, secret = services.signing_secret_create(partner=bank, label="demo")
        context.secret(f"API key of BANK-DEMO (shown once): Api-Key {raw}")
        context.secret(f"signing secret of BANK-DEMO (shown once): {secret}")
