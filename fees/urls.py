from django.urls import path, re_path

from fees import apis

app_name = "fees"

urlpatterns = [
    path("agent/fees", apis.AgentFeeListApi.as_view(), name="agent-fees"),
    re_path(
        r"^agent/fees/(?P<period>[0-9]{4}-(?:0[1-9]|1[0-2]))$",
        apis.AgentFeeDetailApi.as_view(),
        name="agent-fee-detail",
    ),
]
