from django.urls import path

from enrollments.apis import agent, partner, reference

app_name = "enrollments"

urlpatterns = [
    path("reference", reference.ReferenceApi.as_view(), name="reference"),
    path("agent/registrations", agent.RegistrationListCreateApi.as_view(), name="registrations"),
    path(
        "agent/registrations/sync", agent.RegistrationSyncApi.as_view(), name="registrations-sync"
    ),
    path("partner/payments", partner.PaymentCreateApi.as_view(), name="payments"),
    path(
        "partner/payments/<str:channel_ref>/reversal",
        partner.PaymentReversalApi.as_view(),
        name="payment-reversal",
    ),
    path(
        "agent/registrations/<int:registration_id>",
        agent.RegistrationDetailApi.as_view(),
        name="registration-detail",
    ),
]
