"""Every app's routes, composed: the API under /api/v1/, the admin, docs and probes."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.apis import healthz, readyz
from core.views import api_not_found, home

api_v1 = [
    path("", include("core.urls")),
    path("", include("agents.urls")),
    path("", include("partners.urls")),
    path("", include("enrollments.urls")),
    path("", include("fees.urls")),
    path("", include("tallies.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    # Unknown API paths answer in the API's error shape, in DEBUG too.
    re_path(r"^api/", api_not_found),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
