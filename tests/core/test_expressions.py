"""Text the database writes for set-based messages reads exactly as Python writes it."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import DateField, IntegerField, Value

from core.expressions import IsoDateText, RupiahText, iso_date_text, rupiah_text

pytestmark = pytest.mark.django_db


def in_sql(expression):
    return ContentType.objects.annotate(out=expression).values_list("out", flat=True)[0]


@pytest.mark.parametrize("amount", [0, 7, 999, 1_000, 38_400, 110_400, 1_234_567, 999_999_999])
def test_rupiah_in_sql_reads_as_in_python(amount):
    assert in_sql(RupiahText(Value(amount, output_field=IntegerField()))) == rupiah_text(amount)


def test_rupiah_in_python_groups_thousands_with_dots():
    assert rupiah_text(1_234_567) == "Rp1.234.567"
    assert rupiah_text(950) == "Rp950"


@pytest.mark.parametrize(
    "day", [datetime.date(2026, 1, 5), datetime.date(2027, 12, 31), datetime.date(999, 3, 1)]
)
def test_an_iso_date_in_sql_reads_as_in_python(day):
    assert in_sql(IsoDateText(Value(day, output_field=DateField()))) == iso_date_text(day)
