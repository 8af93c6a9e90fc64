import factory

from core.models import Regency


class RegencyFactory(factory.django.DjangoModelFactory[Regency]):
    class Meta:
        model = Regency
        django_get_or_create = ("code",)

    code = "7471"
    name = "Kota Kendari"
    province_id = factory.LazyAttribute(lambda o: o.code[:2])
