from django.urls import path

from partners import apis

app_name = "partners"

urlpatterns = [
    path("partner/permit-checks", apis.PermitCheckCreateApi.as_view(), name="permit-checks"),
    path(
        "partner/permit-checks/<str:reference>",
        apis.PermitCheckDetailApi.as_view(),
        name="permit-check-detail",
    ),
    path(
        "partner/notifications/receipts",
        apis.MessageFeedbackApi.as_view(),
        name="notification-receipts",
    ),
    path("verify/<str:reference>", apis.VerifyApi.as_view(), name="verify"),
]
