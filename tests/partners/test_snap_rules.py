"""The strings SNAP signs, as plain functions: the minified body, the padded service id,
amounts and timestamps."""

import datetime
import json

from hypothesis import given
from hypothesis import strategies as st

from partners import snap

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(value=JSON, indent=st.sampled_from([None, 0, 2, 4]), ascii_only=st.booleans())
def test_a_body_minified_is_its_compact_form_whatever_its_spacing(value, indent, ascii_only):
    sent = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only).encode()
    assert snap.minified(sent) == compact


def test_spaces_inside_strings_are_kept():
    assert snap.minified(b'{ "name" : "Wa Ode  Sitti" }') == b'{"name":"Wa Ode  Sitti"}'


def test_the_service_id_is_padded_to_eight_and_must_be_digits():
    assert snap.partner_service_id_padded("88899") == "   88899"
    assert snap.partner_service_id_padded("   88899") == "   88899"
    assert snap.partner_service_id_padded("123456789") is None
    assert snap.partner_service_id_padded("88A99") is None
    assert snap.partner_service_id_padded("") is None


def test_amounts_are_whole_rupiah_with_two_decimals():
    assert snap.amount_text(110_400) == "110400.00"
    assert snap.amount_parse("110400.00") == 110_400
    assert snap.amount_parse("110400.50") is None
    assert snap.amount_parse("110400") is None


def test_a_timestamp_needs_its_offset_and_is_fresh_for_five_minutes():
    moment = snap.timestamp_parse("2026-12-03T10:15:00+07:00")
    assert moment == datetime.datetime(2026, 12, 3, 3, 15, tzinfo=datetime.UTC)
    assert snap.timestamp_parse("2026-12-03T10:15:00") is None
    assert snap.timestamp_fresh(moment, moment + datetime.timedelta(seconds=300))
    assert not snap.timestamp_fresh(moment, moment - datetime.timedelta(seconds=301))
