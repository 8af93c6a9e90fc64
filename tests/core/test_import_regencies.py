from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.models import Regency

pytestmark = pytest.mark.django_db


def write(tmp_path, text: str, encoding: str = "utf-8"):
    path = tmp_path / "regencies.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run(path) -> str:
    out = StringIO()
    call_command("import_regencies", str(path), stdout=out)
    return out.getvalue()


def test_import_creates_then_is_idempotent(tmp_path):
    path = write(tmp_path, "code,name\n7471,Kota Kendari\n7402,Kabupaten Konawe\n")
    assert "created 2, updated 0, unchanged 0, rejected 0" in run(path)
    assert "created 0, updated 0, unchanged 2, rejected 0" in run(path)
    assert Regency.objects.get(code="7471").province_id == "74"


def test_import_updates_a_renamed_regency(tmp_path):
    Regency.objects.create(code="7471", name="Kendari", province_id="74")
    output = run(write(tmp_path, "code,name\n7471,Kota Kendari\n"))
    assert "created 0, updated 1, unchanged 0" in output
    assert Regency.objects.get(code="7471").name == "Kota Kendari"


def test_invalid_rows_are_rejected_with_line_numbers_and_the_rest_imported(tmp_path):
    path = write(
        tmp_path,
        "code,name\n"
        "7471,Kota Kendari\n"  # line 2
        "74x1,Bad code\n"  # line 3
        "9971,Unknown province\n"  # line 4
        "7471,Duplicate\n"  # line 5
        "7402\n"  # line 6: missing a column
        "7403,\n",  # line 7: empty name
    )
    output = run(path)
    assert "created 1, updated 0, unchanged 0, rejected 5" in output
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in output
    # Commands speak the site's language (Indonesian) to the operator.
    assert "sudah ada di baris 2" in output
    assert list(Regency.objects.values_list("code", flat=True)) == ["7471"]


def test_a_wrong_header_writes_nothing_and_fails(tmp_path):
    path = write(tmp_path, "kode,nama\n7471,Kota Kendari\n")
    with pytest.raises(CommandError, match="header"):
        run(path)
    assert not Regency.objects.exists()


def test_a_file_that_is_not_utf8_writes_nothing_and_fails(tmp_path):
    path = write(tmp_path, "code,name\n7471,Kota Kendari\n7402,Kabupat\xe9n\n", encoding="latin-1")
    with pytest.raises(CommandError, match="UTF-8"):
        run(path)
    assert not Regency.objects.exists()


def test_a_missing_file_fails(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "absent.csv")
