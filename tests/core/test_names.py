import pytest

from core.names import PersonNameError, normalise_person_name


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Wa Ode Sitti", "Wa Ode Sitti"),
        ("  I Gusti  Ngurah\u00a0Rai ", "I Gusti Ngurah Rai"),  # a no-break space too
        ("Jose\u0301", "Jos\u00e9"),  # decomposed, as some keyboards send it: stored NFC
        ("Muh. Rizal", "Muh. Rizal"),
        ("O'Neil-Siregar", "O'Neil-Siregar"),
        ("Sukarno", "Sukarno"),
        ("Budi\n", "Budi"),  # a trailing line break from a form is trimmed
    ],
)
def test_names_are_stored_normalised(raw, stored):
    assert normalise_person_name(raw) == stored


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("\u200b\u200b\u200b", "name_hidden_characters"),  # zero-width spaces only
        ("Wa Ode \u202eittiS", "name_hidden_characters"),  # right-to-left override
        ("Wa \u2066Ode\u2069", "name_hidden_characters"),  # bidirectional isolates
        ("Wa\u200dOde", "name_hidden_characters"),  # zero-width joiner
        ("\ufeffBudi", "name_hidden_characters"),  # byte-order mark
        ("Budi\nSantoso", "name_hidden_characters"),
        ("Budi\x00", "name_hidden_characters"),
        ("Budi\u2028Santoso", "name_hidden_characters"),  # line separator
        ("Budi\ue000", "name_hidden_characters"),  # private use
        ("...", "name_no_letter"),
        ("12345", "name_no_letter"),
        ("", "name_no_letter"),
    ],
)
def test_names_that_hide_something_or_hold_no_letter_are_refused(raw, code):
    with pytest.raises(PersonNameError) as raised:
        normalise_person_name(raw)
    assert raised.value.code == code
