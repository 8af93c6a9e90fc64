import factory

from agents.models import Branch, Region
from tests.core.factories import RegencyFactory


class RegionFactory(factory.django.DjangoModelFactory[Region]):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"KW-T{n}")
    name = factory.LazyAttribute(lambda o: f"Kantor Wilayah {o.code}")


class BranchFactory(factory.django.DjangoModelFactory[Branch]):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    name = factory.LazyAttribute(lambda o: f"Cabang {o.code}")
    region = factory.SubFactory(RegionFactory)
    regency = factory.SubFactory(RegencyFactory)
    time_zone = Branch.TimeZone.WITA
