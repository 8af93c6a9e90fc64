"""Demo partners (README, "Demo accounts"): PTSP-7471 (Kota Kendari), a PATEN office,
payment channel BANK-DEMO, message gateway SMS-DEMO, and companies covering every permit
decision. A key for PTSP-7471, and a key and a signing secret for BANK-DEMO and for
SMS-DEMO, are created and printed the first time only."""

import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from core.demo import DemoContext, demo_ensure
from core.models import Province, Regency
from partners import services, snap
from partners.models import Company, Partner, PartnerApiKey, PartnerKind, SnapClient
from partners.services.snap import snap_client_create

# code, name, kind, regency codes, province codes
PARTNERS = [
    ("PTSP-7471", "DPMPTSP Kota Kendari", PartnerKind.PTSP, ["7471"], []),
    ("PATEN-747101", "Kecamatan Mandonga (PATEN)", PartnerKind.PATEN, ["7471"], []),
    ("PTSP-74", "DPMPTSP Provinsi Sulawesi Tenggara", PartnerKind.PTSP, [], ["74"]),
    ("BANK-DEMO", "Bank Demo (kanal pembayaran)", PartnerKind.PAYMENT_CHANNEL, [], []),
    ("SMS-DEMO", "Gateway SMS Demo (tanda terima pesan)", PartnerKind.SMS_GATEWAY, [], []),
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
    # The signed webhooks' senders: the message gateway that reports delivery receipts
    # and the workers' replies, and a payment channel.
    for code in ("SMS-DEMO", "BANK-DEMO"):
        signer = Partner.objects.get(code=code)
        if not PartnerApiKey.objects.filter(partner=signer).exists():
            _key, raw = services.partner_key_create(partner=signer, label="demo")
            _secret, secret = services.signing_secret_create(partner=signer, label="demo")
            context.secret(f"API key of {code} (shown once): Api-Key {raw}")
            context.secret(f"signing secret of {code} (shown once): {secret}")
    _snap_client(context, Partner.objects.get(code="BANK-DEMO"))


SNAP_CLIENT_KEY = "bank-demo-snap"
SNAP_SERVICE_ID = "88899"


def _snap_client(context: DemoContext, bank: Partner) -> None:
    """BANK-DEMO as a SNAP channel: a fresh RSA key pair whose private half is written,
    owner-only, to settings.SNAP_DEMO_KEY_FILE (var/snap-demo-bank.pem) for
    bench/snap_client.py; its client secret is BANK-DEMO's signing secret."""
    if SnapClient.objects.filter(partner=bank).exists():
        return
    private_pem, public_pem = snap.key_pair_new()
    key_file = Path(settings.SNAP_DEMO_KEY_FILE)
    key_file.parent.mkdir(exist_ok=True)
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_text(private_pem)
    snap_client_create(
        partner=bank,
        partner_service_id=SNAP_SERVICE_ID,
        client_key=SNAP_CLIENT_KEY,
        public_key_pem=public_pem,
    )
    context.note(
        f"SNAP: BANK-DEMO signs in as X-CLIENT-KEY {SNAP_CLIENT_KEY} with the private key "
        f"in {key_file}; partnerServiceId "
        f"'{SNAP_SERVICE_ID.rjust(8)}'; its client secret is BANK-DEMO's signing secret"
    )
