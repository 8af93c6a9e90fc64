"""Signing secrets of the partners that call signed webhooks (payment channels, message
gateways), encrypted at rest (HMAC needs them).
The live ones are read by partners.selectors.signing_secrets_live."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from core import crypto
from partners.errors import PartnerDoesNotSignError
from partners.models import Partner, PartnerSigningSecret

SIGNING_SECRET_BYTES = 32


@transaction.atomic
def signing_secret_create(*, partner: Partner, label: str = "") -> tuple[PartnerSigningSecret, str]:
    if not partner.signs_requests:
        raise PartnerDoesNotSignError()
    secret = secrets.token_urlsafe(SIGNING_SECRET_BYTES)
    record = PartnerSigningSecret.objects.create(
        partner=partner, label=label.strip(), secret_ciphertext=crypto.encrypt(secret)
    )
    return record, secret


def signing_secret_revoke(*, secret: PartnerSigningSecret) -> None:
    PartnerSigningSecret.objects.filter(pk=secret.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
