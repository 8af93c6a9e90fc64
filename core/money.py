"""Rupiah as staff read it: ``Rp 38.619.600``, dots between thousands, no decimals,
the same in every list, card and page of the admin."""

from __future__ import annotations

from decimal import Decimal

NBSP = "\u00a0"


def rupiah(value: int | Decimal | None) -> str:
    if value is None:
        return "—"
    amount = int(value)
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{'-' if amount < 0 else ''}Rp{NBSP}{grouped}"
