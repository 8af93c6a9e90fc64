from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from partners.models import Company

pytestmark = pytest.mark.django_db

HEADER = "nib,npwp,name,regency_code,npp,reported_workforce,enrolled_active,arrears_months\n"
GOOD = HEADER + (
    "9120001234567,01.234.567.8-901.000,CV Bahari Kendari,7471,NPP74710001,12,12,0\n"
    "9120001234568,0123456789012000,UD Sagu Mandonga,7471,,20,14,0\n"
)


def write(tmp_path, text: str, name: str = "companies.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path) -> str:
    out = StringIO()
    call_command("import_companies", str(path), stdout=out)
    return out.getvalue()


def test_a_good_file_imports_and_normalises(tmp_path, regencies):
    output = run(write(tmp_path, GOOD))
    assert "created 2, updated 0, unchanged 0, rejected 0" in output
    bahari = Company.objects.get(nib="9120001234567")
    assert bahari.npwp == "0012345678901000"
    assert (bahari.reported_workforce, bahari.enrolled_active, bahari.arrears_months) == (12, 12, 0)
    assert bahari.source == "companies.csv"
    assert Company.objects.get(nib="9120001234568").npp == ""


def test_reimport_creates_no_duplicates_and_updates_what_changed(tmp_path, regencies):
    path = write(tmp_path, GOOD)
    run(path)
    assert "created 0, updated 0, unchanged 2, rejected 0" in run(path)
    changed = GOOD.replace(",20,14,0", ",20,20,0")
    assert "created 0, updated 1, unchanged 1, rejected 0" in run(write(tmp_path, changed, "b.csv"))
    assert Company.objects.count() == 2
    assert Company.objects.get(nib="9120001234568").enrolled_active == 20


def test_rejected_rows_are_reported_with_line_and_reason(tmp_path, regencies):
    text = GOOD + (
        "912000123456,,Short NIB,7471,,1,1,0\n"  # line 4
        "9120001234569,123,Bad NPWP,7471,,1,1,0\n"  # line 5
        "9120001234570,,Unknown regency,9999,,1,1,0\n"  # line 6
        "9120001234571,,Negative,7471,,1,-1,0\n"  # line 7
        "9120001234567,,Duplicate,7471,,1,1,0\n"  # line 8
        "9120001234572,,,7471,,1,1,0\n"  # line 9: no name
        "9120001234573,too,few\n"  # line 10
    )
    output = run(write(tmp_path, text))
    assert "created 2, updated 0, unchanged 0, rejected 7" in output
    for line in range(4, 11):
        assert f"line {line}:" in output
    assert Company.objects.count() == 2


@pytest.mark.parametrize(
    "text",
    [
        "nib,name\n9120001234567,X\n",  # wrong header
        "",  # empty
    ],
)
def test_a_malformed_file_writes_nothing(tmp_path, regencies, text):
    with pytest.raises(CommandError, match="Nothing was imported"):
        run(write(tmp_path, text))
    assert not Company.objects.exists()


def test_a_file_that_is_not_utf8_writes_nothing(tmp_path, regencies):
    path = tmp_path / "latin1.csv"
    path.write_bytes((GOOD + "9120001234569,,Caf\xe9,7471,,1,1,0\n").encode("latin-1"))
    with pytest.raises(CommandError, match="UTF-8"):
        run(path)
    assert not Company.objects.exists()


def test_each_reason_names_its_column_and_every_reason_of_a_row_is_given(tmp_path, regencies):
    text = HEADER + (
        "912000123456,,,7471,,1,1,0\n"  # line 2: short NIB and no name
        "9120001234569,,CV Angka,7471,,dua belas,1,0\n"  # line 3
        f"9120001234570,,{'x' * 201},7471,,1,1,0\n"  # line 4
    )
    with translation.override("en"):
        output = run(write(tmp_path, text))
    assert "line 2: nib: A NIB is 13 digits.; name: This field cannot be blank." in output
    assert "line 3: reported_workforce: " in output
    assert "line 4: name: Ensure this value has at most 200 characters (it has 201)." in output
    assert not Company.objects.exists()


@pytest.mark.postgres
def test_numbers_past_their_columns_range_are_rejected_not_a_failed_import(tmp_path, regencies):
    """The model's own validators know each column's range on this database."""
    text = GOOD + (
        "9120001234569,,CV Besar,7471,,3000000000,1,0\n"  # line 4
        "9120001234570,,CV Lama,7471,,1,1,40000\n"  # line 5
    )
    with translation.override("en"):
        output = run(write(tmp_path, text))
    assert "created 2, updated 0, unchanged 0, rejected 2" in output
    assert "line 4: reported_workforce: Ensure this value is less than or equal to" in output
    assert "line 5: arrears_months: Ensure this value is less than or equal to 32767." in output
