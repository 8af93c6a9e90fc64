from decimal import Decimal

from django import template

from core.money import rupiah as format_rupiah

register = template.Library()


@register.filter
def rupiah(value: int | Decimal | None) -> str:
    """``{{ amount|rupiah }}`` -> ``Rp 38.619.600``"""
    return format_rupiah(value)
