from django.db.models import Count, QuerySet

from core.exceptions import NotFoundError
from core.models import Province, Regency


def province_list() -> QuerySet[Province]:
    return Province.objects.order_by("code")


def province_get(*, code: str) -> Province:
    province = Province.objects.annotate(regency_count=Count("regencies")).filter(code=code).first()
    if province is None:
        raise NotFoundError()
    return province


def regency_list(*, province_code: str | None = None) -> QuerySet[Regency]:
    regencies = Regency.objects.order_by("code")
    if province_code:
        regencies = regencies.filter(province_id=province_code)
    return regencies
