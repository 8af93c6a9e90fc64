from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from partners.models import Partner, PartnerApiKey
from partners.services import partner_key_authenticate

SCHEME = "Api-Key"


class PartnerPrincipal:
    """request.user for a partner: authenticated, but no Django user and no staff."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, partner: Partner) -> None:
        self.partner = partner
        self.pk = None

    def __str__(self) -> str:
        return self.partner.code


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``."""

    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, PartnerApiKey] | None:
        scheme, _, credentials = get_authorization_header(request).decode("latin-1").partition(" ")
        if scheme.lower() != SCHEME.lower():
            return None
        key = partner_key_authenticate(credentials)
        return PartnerPrincipal(key.partner), key

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="partner"'


def api_key_of(request: Request) -> PartnerApiKey | None:
    auth: Any = request.auth
    return auth if isinstance(auth, PartnerApiKey) else None
