import datetime

import pytest

from core.nik import NikError, mask_nik, nik_warnings, normalise_nik, parse_nik

TODAY = datetime.date(2026, 11, 22)
FULL_WIDTH = "".join(chr(ord(digit) + 0xFEE0) for digit in "7471014507900001")


def test_a_man_born_in_1990():
    parsed = parse_nik("7471010507900001", today=TODAY)
    assert parsed.province_code == "74"
    assert parsed.regency_code == "7471"
    assert parsed.district_code == "747101"
    assert parsed.birth_date == datetime.date(1990, 7, 5)
    assert parsed.sex == "M"
    assert parsed.serial == "0001"


def test_a_woman_has_forty_added_to_the_day():
    parsed = parse_nik("7471014507900001", today=TODAY)
    assert parsed.sex == "F"
    assert parsed.birth_date == datetime.date(1990, 7, 5)


@pytest.mark.parametrize(("yy", "year"), [("05", 2005), ("26", 2026), ("27", 1927), ("99", 1999)])
def test_the_century_is_the_latest_not_in_the_future(yy, year):
    assert parse_nik(f"74710101{'01'}{yy}0001", today=TODAY).birth_date.year == year


def test_separators_are_ignored():
    assert normalise_nik("7471 0145-0790.0001") == "7471014507900001"
    assert parse_nik("7471 01 450790 0001", today=TODAY).value == "7471014507900001"


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("747101450790001", "nik_format"),  # 15 digits
        ("74710145079000011", "nik_format"),  # 17 digits
        ("74710145079O0001", "nik_format"),  # a letter O
        (FULL_WIDTH, "nik_format"),  # full-width digits
        ("9971014507900001", "nik_province"),
        ("2071014507900001", "nik_province"),
        ("7471013102900001", "nik_birth_date"),  # 31 February
        ("7471017202900001", "nik_birth_date"),  # woman, 32 February
        ("7471010013900001", "nik_birth_date"),  # month 13
        ("7471012311260001", "nik_birth_date"),  # 23 Nov 2026: tomorrow
        ("7471014507900000", "nik_serial"),
    ],
)
def test_invalid_niks_are_refused_with_a_stable_code(nik, code):
    with pytest.raises(NikError) as raised:
        parse_nik(nik, today=TODAY)
    assert raised.value.code == code
    assert nik not in raised.value.message


def test_warnings_when_declared_date_or_sex_disagree():
    parsed = parse_nik("7471014507900001", today=TODAY)
    assert nik_warnings(parsed, birth_date=datetime.date(1990, 7, 5), sex="F") == []
    codes = [w.code for w in nik_warnings(parsed, birth_date=datetime.date(1991, 7, 5), sex="M")]
    assert codes == ["nik_birth_date_mismatch", "nik_sex_mismatch"]


def test_mask():
    assert mask_nik("0001") == "************0001"
