"""Partner API keys: ``<prefix>.<secret>``, the secret kept only as a keyed hash."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from partners.errors import InvalidApiKeyError
from partners.models import Partner, PartnerApiKey

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

KEY_PREFIX_BYTES = 6
KEY_SECRET_BYTES = 32
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _key_hash(secret: str) -> str:
    return hmac.new(
        settings.PARTNER_KEY_HASH_KEY.encode(), secret.encode(), hashlib.sha256
    ).hexdigest()


@transaction.atomic
def partner_key_create(
    *, partner: Partner, label: str = "", by: User | None = None
) -> tuple[PartnerApiKey, str]:
    """A new key; the returned string is the only time it exists outside the caller."""
    prefix = secrets.token_hex(KEY_PREFIX_BYTES)
    secret = secrets.token_urlsafe(KEY_SECRET_BYTES)
    key = PartnerApiKey.objects.create(
        partner=partner,
        label=label.strip(),
        prefix=prefix,
        secret_hash=_key_hash(secret),
        created_by=by,
    )
    logger.info("partner key created", extra={"partner": partner.code, "prefix": prefix})
    return key, f"{prefix}.{secret}"


def partner_key_revoke(*, key: PartnerApiKey, by: User | None = None) -> PartnerApiKey:
    PartnerApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    key.refresh_from_db(fields=["revoked_at"])
    logger.info("partner key revoked", extra={"prefix": key.prefix})
    return key


def partner_key_authenticate(raw: str) -> PartnerApiKey:
    """The live key of an active partner that ``raw`` is, or InvalidApiKeyError."""
    prefix, dot, secret = raw.strip().partition(".")
    if not dot or not prefix or not secret or len(prefix) > 16:
        raise InvalidApiKeyError()
    key = (
        PartnerApiKey.objects.select_related("partner")
        .filter(prefix=prefix, revoked_at__isnull=True, partner__is_active=True)
        .first()
    )
    # Hash even when no key matched, so timing does not tell a real prefix apart.
    offered = _key_hash(secret)
    if key is None or not hmac.compare_digest(offered.encode(), key.secret_hash.encode()):
        raise InvalidApiKeyError()
    now = timezone.now()
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
        # At most one write a minute per key, and never a read-modify-write.
        PartnerApiKey.objects.filter(pk=key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return key
