from django.urls import path

from core import apis

app_name = "core"

urlpatterns = [
    path("provinces", apis.ProvinceListApi.as_view(), name="province-list"),
    path("provinces/<str:code>", apis.ProvinceDetailApi.as_view(), name="province-detail"),
    path("regencies", apis.RegencyListApi.as_view(), name="regency-list"),
]
