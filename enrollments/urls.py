from django.urls import path

from enrollments.apis import agent, follow_ups, partner, reference, reservations

app_name = "enrollments"

urlpatterns = [
    path("reference", reference.ReferenceApi.as_view(), name="reference"),
    path("agent/registrations", agent.RegistrationListCreateApi.as_view(), name="registrations"),
    path(
        "agent/registrations/sync", agent.RegistrationSyncApi.as_view(), name="registrations-sync"
    ),
    path(
        "agent/reservations",
        reservations.ReservationListCreateApi.as_view(),
        name="reservations",
    ),
    path("agent/follow-ups", follow_ups.FollowUpListApi.as_view(), name="follow-ups"),
    path("agent/follow-ups/contacts", follow_ups.ContactsApi.as_view(), name="follow-up-contacts"),
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
