"""Django-level error pages: under /api/ they answer in the API's error shape, since a
mobile app or partner integration cannot read an HTML page."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import defaults

from core.exceptions import NotFoundError, UnavailableError, error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_not_found(request: HttpRequest) -> HttpResponse:
    return JsonResponse(error_body(NotFoundError.code, NotFoundError.default_message), status=404)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def _database_unavailable() -> bool:
    """Django calls the 500 handler inside its ``except`` block, so the exception being
    answered is at hand. PostgreSQL down, restarting or failing over (refused or dropped
    connections, terminated sessions) is not a bug but a moment to wait out."""
    return isinstance(sys.exc_info()[1], OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    if _database_unavailable():
        return service_unavailable(request)
    if _is_api(request):
        return JsonResponse(
            error_body(
                "server_error", gettext("Something went wrong on our side. Try again later.")
            ),
            status=500,
        )
    return defaults.server_error(request)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON in the error shape under /api/, a short page elsewhere."""
    headers = {"Retry-After": str(UnavailableError.retry_after)}
    message = str(UnavailableError.default_message)  # lazy: in the request's language
    if _is_api(request):
        body = error_body(UnavailableError.code, message)
        return JsonResponse(body, status=503, headers=headers)
    return HttpResponse(
        message,
        content_type="text/plain; charset=utf-8",
        status=503,
        headers=headers,
    )


def home(request: HttpRequest) -> HttpResponse:
    """A small start page at "/" (the admin's "View site" leads here)."""
    return render(request, "core/home.html")
