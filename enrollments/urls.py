from django.urls import path

from enrollments import apis

app_name = "enrollments"

urlpatterns = [
    path("reference", apis.ReferenceApi.as_view(), name="reference"),
    path("agent/registrations", apis.RegistrationListCreateApi.as_view(), name="registrations"),
    path("agent/registrations/sync", apis.RegistrationSyncApi.as_view(), name="registrations-sync"),
    path("partner/payments", apis.PaymentCreateApi.as_view(), name="payments"),
    path(
        "partner/payments/<str:channel_ref>/reversal",
        apis.PaymentReversalApi.as_view(),
        name="payment-reversal",
    ),
    path(
        "agent/registrations/<int:registration_id>",
        apis.RegistrationDetailApi.as_view(),
        name="registration-detail",
    ),
]
