from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import selectors
from core.fields import StrictCharField
from core.filters import query_filters
from core.health import UNAVAILABLE, broker_status, database_status
from core.models import PROVINCE_CODE_VALIDATOR


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else, so a slow database never gets a healthy
    web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve when the database answers: 503 otherwise. A broker that does not
    answer is reported (``"status": "degraded"``) but keeps the instance in service:
    the API works without it (docs/security.md), and taking every instance out of the
    load balancer because Redis is down would turn a degradation into an outage."""
    checks = {"database": database_status(), "broker": broker_status()}
    if checks["database"] == UNAVAILABLE:
        return JsonResponse({"status": UNAVAILABLE, "checks": checks}, status=503)
    degraded = UNAVAILABLE in checks.values()
    return JsonResponse({"status": "degraded" if degraded else "ok", "checks": checks})


class ProvinceListApi(APIView):
    pagination_class = None

    class OutputSerializer(serializers.Serializer):
        code = StrictCharField()
        name = StrictCharField()

    @extend_schema(
        operation_id="provinces_list",
        description="Indonesia's provinces.",
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        provinces = selectors.province_list()
        return Response(self.OutputSerializer(provinces, many=True).data)


class ProvinceDetailApi(APIView):
    class OutputSerializer(serializers.Serializer):
        code = StrictCharField()
        name = StrictCharField()
        regency_count = serializers.IntegerField()

    @extend_schema(
        operation_id="provinces_retrieve",
        description="One province, with its number of regencies and cities.",
        responses=OutputSerializer,
    )
    def get(self, request: Request, code: str) -> Response:
        province = selectors.province_get(code=code)
        return Response(self.OutputSerializer(province).data)


class RegencyListApi(APIView):
    pagination_class = None

    class FilterSerializer(serializers.Serializer):
        province = StrictCharField(required=False, validators=[PROVINCE_CODE_VALIDATOR])

    class OutputSerializer(serializers.Serializer):
        code = StrictCharField()
        name = StrictCharField()
        province_code = StrictCharField(source="province_id")
        kind = StrictCharField()

    @extend_schema(
        operation_id="regencies_list",
        description="Regencies and cities, for the app's offline forms; filter by province.",
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        filters = query_filters(self.FilterSerializer, request.query_params)
        regencies = selectors.regency_list(province_code=filters.get("province"))
        return Response(self.OutputSerializer(regencies, many=True).data)
