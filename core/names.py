"""People's names as typed on a phone or pasted from elsewhere. Pure: plain values in,
plain values out.

A name is stored in Unicode NFC, without surrounding or repeated whitespace. It may not
hide anything: control characters (newlines, NUL), invisible format characters
(zero-width spaces and joiners, the bidirectional overrides U+202A..U+202E and isolates
U+2066..U+2069 that make a list show text reversed), line and paragraph separators,
private-use or unassigned code points. It must hold at least one letter. Nothing else
is judged: names in Indonesia may be one word, carry apostrophes, dots or hyphens.
"""

from __future__ import annotations

import unicodedata

# Unicode general categories a name may not contain: Cc control, Cf format, Cs
# surrogate, Co private use, Cn unassigned, Zl line and Zp paragraph separators.
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class PersonNameError(ValueError):
    """``code`` is stable: name_hidden_characters, name_no_letter."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise_person_name(raw: str) -> str:
    """The name as stored: NFC, trimmed, inner whitespace runs made one space."""
    name = unicodedata.normalize("NFC", raw).strip()
    if any(unicodedata.category(ch) in HIDDEN_CATEGORIES for ch in name):
        raise PersonNameError("name_hidden_characters")
    name = " ".join(name.split())
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise PersonNameError("name_no_letter")
    return name
