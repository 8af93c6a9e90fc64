from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column (NIKs, signing secrets) under the first key of "
        "ENCRYPTION_KEYS. Rotation without downtime: put the new key first and keep the old "
        "one after it (both decrypt), deploy, run this, then drop the old key. Idempotent; "
        "works in chunks, each its own transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        chunk = options["chunk"]
        for model in apps.get_models():
            fields = getattr(model, "encrypted_fields", ())
            if not fields:
                continue
            total = model._default_manager.count()
            done = last = 0
            while True:
                with transaction.atomic():
                    rows = list(
                        model._default_manager.select_for_update()
                        .filter(pk__gt=last)
                        .order_by("pk")
                        .only("pk", *fields)[:chunk]
                    )
                    if not rows:
                        break
                    for row in rows:
                        for name in fields:
                            setattr(row, name, crypto.reencrypt(getattr(row, name)))
                    model._default_manager.bulk_update(rows, list(fields))
                last = rows[-1].pk
                done += len(rows)
                self.stdout.write(f"  {model._meta.label}: {done}/{total}")
            self.stdout.write(self.style.SUCCESS(f"{model._meta.label}: {done} rows re-encrypted"))
