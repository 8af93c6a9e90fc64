from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.models import Partner
from partners.services import partner_key_create, signing_secret_create


class Command(BaseCommand):
    help = (
        "Create an API key for a partner office and print it (it is stored only as a "
        "hash: this is the only time it is shown). A payment channel also gets a new "
        "signing secret, and so does a message gateway. Both are the last lines of the output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--office", required=True, help="partner code, e.g. PTSP-7471")
        parser.add_argument("--label", default="", help="what the key is for, e.g. production")

    def handle(self, *args: Any, **options: Any) -> None:
        partner = Partner.objects.filter(code=options["office"].upper()).first()
        if partner is None:
            raise CommandError(f"no partner with the code {options['office']}")
        if not partner.is_active:
            raise CommandError(f"{partner.code} is not active")
        key, raw = partner_key_create(partner=partner, label=options["label"])
        self.stdout.write(f"Created API key {key.prefix} for {partner.code} ({partner.name}).")
        secret = None
        if partner.signs_requests:
            _record, secret = signing_secret_create(partner=partner, label=options["label"])
        self.stdout.write("Store these now; they cannot be shown again.")
        self.stdout.write(f"Authorization: Api-Key {raw}")
        if secret is not None:
            self.stdout.write(f"Signing secret: {secret}")
