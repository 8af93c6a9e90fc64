from django.urls import path

from tallies import apis

app_name = "tallies"

urlpatterns = [
    path("tallies", apis.TallyListApi.as_view(), name="tallies"),
    path("tallies/retention", apis.RetentionListApi.as_view(), name="retention"),
]
