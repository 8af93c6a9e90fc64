from django.urls import path

from tallies import apis

app_name = "tallies"

urlpatterns = [path("tallies", apis.TallyListApi.as_view(), name="tallies")]
