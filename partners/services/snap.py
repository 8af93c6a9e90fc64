"""SNAP credentials at work: access tokens for a channel that proves its RSA key, and
the checks every transaction request passes before a bill is looked at (DESIGN §9).

Tokens are signed, not stored (``django.core.signing`` with a salt of their own): the
channel's id and the moment of issue, valid 900 seconds. A token names its channel, so
one channel's token is refused with another's ``X-PARTNER-ID``.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import InvalidInputError
from partners import selectors, snap
from partners.errors import SnapRefusal
from partners.models import Partner, PartnerKind, SnapClient, SnapExternalId

TOKEN_SALT = "perisai.snap.access-token"  # noqa: S105 (a salt, public by design)
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
EXTERNAL_ID_MAX = 36


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


def _client_by_key(client_key: str) -> SnapClient:
    client = (
        SnapClient.objects.select_related("partner")
        .filter(
            client_key=client_key,
            partner__is_active=True,
            partner__kind=PartnerKind.PAYMENT_CHANNEL,
        )
        .first()
        if client_key
        else None
    )
    if client is None:
        raise SnapRefusal(snap.UNAUTHORIZED, "Unknown client")
    return client


def _fresh(timestamp: str, now: datetime.datetime) -> datetime.datetime:
    moment = snap.timestamp_parse(timestamp)
    if moment is None:
        raise SnapRefusal(snap.INVALID_FIELD_FORMAT, "X-TIMESTAMP")
    if not snap.timestamp_fresh(moment, now):
        raise SnapRefusal(snap.UNAUTHORIZED, "Invalid timestamp")
    return moment


def snap_token_issue(
    *, client_key: str, timestamp: str, signature: str, now: datetime.datetime | None = None
) -> tuple[SnapClient, AccessToken]:
    """``POST /snap/v1.0/access-token/b2b``: the channel signed ``clientKey|timestamp``
    with its private key."""
    now = now or timezone.now()
    client = _client_by_key(client_key)
    _fresh(timestamp, now)
    string_to_sign = snap.token_string_to_sign(client_key, timestamp)
    if not signature or not snap.rsa_signature_valid(
        client.public_key_pem, string_to_sign, signature
    ):
        raise SnapRefusal(snap.UNAUTHORIZED, "Signature")
    token = signing.dumps({"c": client.pk}, salt=TOKEN_SALT, compress=False)
    return client, AccessToken(token, snap.TOKEN_LIFETIME_SECONDS)


@dataclass(frozen=True)
class SnapRequest:
    method: str
    path: str
    authorization: str
    timestamp: str
    signature: str
    partner_id: str
    external_id: str
    channel_id: str
    body: bytes


def snap_request_verify(
    request: SnapRequest, *, now: datetime.datetime | None = None
) -> SnapClient:
    """The standard's checks of a transaction request, in order: the client, its
    token, the timestamp, the HMAC signature, and an ``X-EXTERNAL-ID`` not seen from
    this channel today (recorded here, so a repeat is refused). Raises SnapRefusal."""
    now = now or timezone.now()
    client = _client_by_key(request.partner_id)
    scheme, _space, token = request.authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SnapRefusal(snap.INVALID_TOKEN)
    try:
        claims = signing.loads(token, salt=TOKEN_SALT, max_age=snap.TOKEN_LIFETIME_SECONDS)
    except signing.BadSignature:  # also SignatureExpired
        raise SnapRefusal(snap.INVALID_TOKEN) from None
    if not isinstance(claims, dict) or claims.get("c") != client.pk:
        raise SnapRefusal(snap.INVALID_TOKEN)
    _fresh(request.timestamp, now)
    string_to_sign = snap.transaction_string_to_sign(
        request.method, request.path, token, request.body, request.timestamp
    )
    secrets = selectors.signing_secrets_live(partner=client.partner)
    if not request.signature or not snap.hmac_matches(secrets, string_to_sign, request.signature):
        raise SnapRefusal(snap.UNAUTHORIZED, "Signature")
    if not request.channel_id:
        raise SnapRefusal(snap.INVALID_MANDATORY_FIELD, "CHANNEL-ID")
    external_id = request.external_id
    if not external_id or len(external_id) > EXTERNAL_ID_MAX or not external_id.isdigit():
        raise SnapRefusal(snap.INVALID_FIELD_FORMAT, "X-EXTERNAL-ID")
    try:
        with transaction.atomic():
            SnapExternalId.objects.create(
                client=client, day=now.astimezone(JAKARTA).date(), external_id=external_id
            )
    except IntegrityError:
        raise SnapRefusal(snap.CONFLICT, "Duplicate X-EXTERNAL-ID") from None
    return client


def _checked_credentials(
    *, partner: Partner, partner_service_id: str, client_key: str, public_key_pem: str
) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if partner.kind != PartnerKind.PAYMENT_CHANNEL:
        errors["partner"] = [_("Only payment channels take payments through SNAP.")]
    padded = snap.partner_service_id_padded(partner_service_id)
    if padded is None:
        errors["partner_service_id"] = [_("Give the partnerServiceId: 1 to 8 digits.")]
    try:
        snap.public_key_load(public_key_pem)
    except snap.PublicKeyError:
        errors["public_key_pem"] = [
            _("Paste the channel's RSA public key in PEM, 2048 bits or more.")
        ]
    if errors:
        raise InvalidInputError(fields=errors)
    assert padded is not None  # noqa: S101 (checked above)
    return padded, public_key_pem.strip() + "\n"


def snap_client_create(
    *, partner: Partner, partner_service_id: str, client_key: str, public_key_pem: str
) -> SnapClient:
    padded, pem = _checked_credentials(
        partner=partner,
        partner_service_id=partner_service_id,
        client_key=client_key,
        public_key_pem=public_key_pem,
    )
    client = SnapClient(
        partner=partner, partner_service_id=padded, client_key=client_key, public_key_pem=pem
    )
    return _saved(client)


def snap_client_update(
    *, client: SnapClient, partner_service_id: str, client_key: str, public_key_pem: str
) -> SnapClient:
    padded, pem = _checked_credentials(
        partner=client.partner,
        partner_service_id=partner_service_id,
        client_key=client_key,
        public_key_pem=public_key_pem,
    )
    client.partner_service_id, client.client_key, client.public_key_pem = padded, client_key, pem
    return _saved(client)


def _saved(client: SnapClient) -> SnapClient:
    try:
        client.full_clean(exclude=["partner"], validate_unique=False)
    except ValidationError as error:
        raise InvalidInputError(fields=error.message_dict) from None
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError:
        raise InvalidInputError(
            fields={
                "partner_service_id": [
                    _("This partnerServiceId or client key belongs to another channel.")
                ]
            }
        ) from None
    return client


def snap_external_ids_purge(*, now: datetime.datetime | None = None) -> int:
    """Forgets the ``X-EXTERNAL-ID``s of days before yesterday (Jakarta): a repeat is
    refused within its day, so older ones guard nothing. Returns how many went."""
    today = (now or timezone.now()).astimezone(JAKARTA).date()
    deleted, _by_model = SnapExternalId.objects.filter(
        day__lt=today - datetime.timedelta(days=1)
    ).delete()
    return deleted
