"""A payment's stored receipt has one shape, a sponsor's or not: channel_ref, sponsor,
amount and a line per participant (with its payment code). Receipts stored before in
the single-payment shape are rewritten; what they say is unchanged."""

import json

from django.db import migrations


def forward(apps, schema_editor):
    Payment = apps.get_model("enrollments", "Payment")
    PaymentLine = apps.get_model("enrollments", "PaymentLine")
    single = Payment.objects.filter(sponsor__isnull=True).exclude(response_body__contains='"lines"')
    for payment in single.iterator(chunk_size=2000):
        record = json.loads(payment.response_body)
        line = PaymentLine.objects.select_related("registration").get(payment=payment)
        payment.response_body = json.dumps(
            {
                "channel_ref": record.pop("channel_ref"),
                "sponsor": None,
                "amount": payment.amount,
                "lines": [{"payment_code": line.registration.payment_code, **record}],
            }
        )
        payment.save(update_fields=["response_body"])


def backward(apps, schema_editor):
    Payment = apps.get_model("enrollments", "Payment")
    for payment in Payment.objects.filter(sponsor__isnull=True).iterator(chunk_size=2000):
        record = json.loads(payment.response_body)
        (line,) = record["lines"]
        del line["payment_code"]
        payment.response_body = json.dumps({"channel_ref": record["channel_ref"], **line})
        payment.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0010_audit_statement_triggers")]

    operations = [migrations.RunPython(forward, backward)]
