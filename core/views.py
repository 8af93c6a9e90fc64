"""Django-level error pages: under /api/ they answer in the API's error shape, since a
mobile app or partner integration cannot read an HTML page."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views import defaults

from core.exceptions import NotFoundError, error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_not_found(request: HttpRequest) -> HttpResponse:
    return JsonResponse(error_body(NotFoundError.code, NotFoundError.default_message), status=404)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body(
                "server_error", gettext("Something went wrong on our side. Try again later.")
            ),
            status=500,
        )
    return defaults.server_error(request)


def home(request: HttpRequest) -> HttpResponse:
    """A small start page at "/" (the admin's "View site" leads here)."""
    return render(request, "core/home.html")
