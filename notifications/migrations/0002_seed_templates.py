"""The first version of every kind's text, in Bahasa Indonesia. Head office edits them
in the admin by adding versions; this migration never touches those."""

import datetime

from django.db import migrations

FROM = datetime.date(2020, 1, 1)
PAY = "dengan kode bayar {payment_code} atau virtual account {virtual_account}"
TEXTS = {
    "welcome": (
        "Selamat datang di BPJS Ketenagakerjaan, {name}. Nomor peserta Anda "
        "{participant_number}. Bayar iuran {amount} untuk {months} bulan di bank, ATM, "
        "minimarket atau aplikasi " + PAY + ". Balas BERHENTI jika tidak ingin menerima pesan."
    ),
    "receipt": (
        "Terima kasih, {name}. Iuran {amount} untuk {months} bulan sudah kami terima. "
        "Peserta {participant_number} terlindungi sampai {paid_through}. "
        "BPJS Ketenagakerjaan."
    ),
    "reminder_due": (
        "Yth. {name}, perlindungan BPJS Ketenagakerjaan Anda (peserta "
        "{participant_number}) berakhir {paid_through}. Bayar iuran {amount} " + PAY + " "
        "agar tetap terlindungi."
    ),
    "arrears_1": (
        "Yth. {name}, iuran BPJS Ketenagakerjaan Anda (peserta {participant_number}) "
        "tertunggak 1 bulan sejak {paid_through}. Bayar {amount} " + PAY + " agar "
        "perlindungan tetap aktif."
    ),
    "arrears_2": (
        "Yth. {name}, iuran BPJS Ketenagakerjaan Anda (peserta {participant_number}) "
        "tertunggak 2 bulan sejak {paid_through}. Bulan depan kepesertaan menjadi tidak "
        "aktif. Bayar {amount} " + PAY + "."
    ),
    "lapse_notice": (
        "Yth. {name}, kepesertaan BPJS Ketenagakerjaan Anda (peserta {participant_number}) "
        "kini tidak aktif karena iuran tertunggak 3 bulan. Aktifkan kembali dengan membayar "
        "{amount} " + PAY + ". Agen Perisai Anda siap membantu."
    ),
}


def seed(apps, schema_editor):
    template_model = apps.get_model("notifications", "MessageTemplate")
    for kind, text in TEXTS.items():
        template_model.objects.get_or_create(
            kind=kind, effective_from=FROM, defaults={"text": text}
        )


def unseed(apps, schema_editor):
    template_model = apps.get_model("notifications", "MessageTemplate")
    template_model.objects.filter(effective_from=FROM, kind__in=list(TEXTS)).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
