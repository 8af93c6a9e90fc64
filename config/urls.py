"""Every app's routes, composed: the API under /api/v1/, SNAP under /snap/v1.0/, the
admin, docs and probes."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.apis import healthz, readyz
from core.views import api_not_found, home
from enrollments.apis import snap as snap_va
from partners.snap_apis import AccessTokenApi

api_v1 = [
    path("", include("core.urls")),
    path("", include("agents.urls")),
    path("", include("partners.urls")),
    path("", include("enrollments.urls")),
    path("", include("fees.urls")),
    path("", include("tallies.urls")),
]

# Bank Indonesia's SNAP, for banks and payment channels (DESIGN §9).
snap_v1 = [
    path("access-token/b2b", AccessTokenApi.as_view(), name="snap-access-token"),
    path("transfer-va/inquiry", snap_va.InquiryApi.as_view(), name="snap-va-inquiry"),
    path("transfer-va/payment", snap_va.PaymentApi.as_view(), name="snap-va-payment"),
    path("transfer-va/status", snap_va.StatusApi.as_view(), name="snap-va-status"),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("snap/v1.0/", include(snap_v1)),
    # Unknown API paths answer in the API's error shape, in DEBUG too.
    re_path(r"^api/", api_not_found),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
