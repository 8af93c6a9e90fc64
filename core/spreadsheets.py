"""Values written to a CSV that staff open in a spreadsheet."""

from typing import Any

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value``, with a text that a spreadsheet would run as a formula made plain
    text (a leading apostrophe), as OWASP advises for CSV exports."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
