"""Response headers every page gets, and request size limits answered with a clear 413
before a byte of the body is read."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import error_body

# The admin and the docs load only their own static files; the API returns data only.
CSP_ADMIN = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# drf-spectacular's Swagger page starts Swagger UI with an inline script.
CSP_DOCS = CSP_ADMIN.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
CSP_API = "default-src 'none'; frame-ancestors 'none'"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            policy = CSP_DOCS
        elif request.path.startswith("/api/") or request.path in ("/healthz", "/readyz"):
            policy = CSP_API
        else:
            policy = CSP_ADMIN
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """``REQUEST_SIZE_LIMITS`` maps path prefixes to the largest body they accept, in
    bytes; anything else gets DATA_UPLOAD_MAX_MEMORY_SIZE. An announced body over the
    limit is refused with 413 at once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        for prefix, prefix_limit in settings.REQUEST_SIZE_LIMITS.items():
            if request.path.startswith(prefix):
                limit = prefix_limit
                break
        if limit is not None and length > limit:
            return payload_too_large(request, limit)
        return self.get_response(request)


def payload_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    message = _("The request body is too large: at most %(limit)d bytes here.") % {"limit": limit}
    if request.path.startswith(("/api/", "/snap/")):
        return JsonResponse(error_body("payload_too_large", message), status=413)
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


class NulCharacterMiddleware:
    """A NUL character in the path or the query string is refused with 400 before any
    view sees it: no identifier, cursor or filter contains one, and PostgreSQL cannot
    store or compare one (it would end as a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            message = _("The address contains a NUL character.")
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("validation_error", message), status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
