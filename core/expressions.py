"""Values written as text by the database exactly as Python writes them, for set-based
writes that build text in SQL (the outbox's planned messages). Each SQL form sits beside
its Python form; tests hold the two equal on PostgreSQL and SQLite."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import CharField, Func, TextField, Value
from django.db.models.functions import Cast, Coalesce, Concat


def rupiah_text(amount: int) -> str:
    """1234567 -> ``Rp1.234.567``: dots between thousands, no space (a text message)."""
    return f"Rp{amount:,}".replace(",", ".")


def iso_date_text(day: datetime.date) -> str:
    return day.isoformat()


class RupiahText(Func):
    """``rupiah_text`` of a non-negative whole-rupiah column. The format strings travel
    as parameters, so no driver reads their ``%``."""

    output_field = TextField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        grouped = Func(
            Func(
                *self.source_expressions,
                Value("FM999,999,999,999,990"),
                function="to_char",
                output_field=TextField(),
            ),
            Value(","),
            Value("."),
            function="replace",
            output_field=TextField(),
        )
        return Concat(Value("Rp"), grouped, output_field=TextField()).as_sql(compiler, connection)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        grouped = Func(
            Func(
                Value("%,d"), *self.source_expressions, function="printf", output_field=TextField()
            ),
            Value(","),
            Value("."),
            function="replace",
            output_field=TextField(),
        )
        return Concat(Value("Rp"), grouped, output_field=TextField()).as_sql(compiler, connection)


class IsoDateText(Func):
    """``iso_date_text`` of a date column: ``YYYY-MM-DD`` whatever the session's
    DateStyle."""

    output_field = TextField()
    arity = 1

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return Func(
            *self.source_expressions,
            Value("YYYY-MM-DD"),
            function="to_char",
            output_field=TextField(),
        ).as_sql(compiler, connection)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite keeps dates as ISO text already.
        (day,) = self.source_expressions
        return Cast(day, CharField()).as_sql(compiler, connection)


class ConcatText(Func):
    """``a || b || c ...``, flat, each part as text with NULL read as empty. Django's
    ``Concat`` nests a pair per part, which SQLite's parser refuses past a few dozen."""

    output_field = TextField()
    arg_joiner = " || "
    template = "(%(expressions)s)"

    def __init__(self, *expressions: Any) -> None:
        super().__init__(
            *(Coalesce(Cast(part, TextField()), Value("")) for part in expressions),
            output_field=TextField(),
        )
