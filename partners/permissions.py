from typing import Any

from django.conf import settings
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from core.throttling import attempt_take
from partners.authentication import api_key_of


class IsPartner(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return api_key_of(request) is not None


class PartnerKeyThrottle(BaseThrottle):
    """Requests per API key per window, counted atomically in the cache (Redis INCR
    when configured), so concurrent requests cannot slip past the limit."""

    def __init__(self) -> None:
        self._retry_after: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        key = api_key_of(request)
        if key is None:
            return True
        limit, window = settings.PARTNER_THROTTLE
        attempt = attempt_take(
            scope="partner-key", key=key.prefix, limit=limit, window=window, fail_open=True
        )
        self._retry_after = attempt.retry_after
        return attempt.allowed

    def wait(self) -> float | None:
        return self._retry_after
