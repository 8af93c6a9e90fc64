from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from agents.models import Branch

pytestmark = pytest.mark.django_db


def snapshot() -> str:
    out = StringIO()
    call_command(
        "dumpdata",
        "auth.user",
        "auth.group",
        "core",
        "agents",
        "partners",
        "enrollments",
        stdout=out,
        indent=None,
    )
    return out.getvalue()


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_twice_leaves_the_same_rows():
    seed("--password", "demo-pass-2026")
    first = snapshot()
    output = seed("--password", "demo-pass-2026")
    assert snapshot() == first
    assert "no new accounts" in output


def test_seed_demo_loads_the_demo_organisation():
    seed("--password", "demo-pass-2026")
    kendari = Branch.objects.select_related("region", "regency").get(code="KDI")
    assert kendari.region.code == "KW-SULAMA"
    assert kendari.regency.name == "Kota Kendari"
    assert kendari.time_zone == "Asia/Makassar"
    assert set(Branch.objects.values_list("time_zone", flat=True)) >= {
        "Asia/Makassar",
        "Asia/Jayapura",
        "Asia/Pontianak",
    }
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser
    assert admin.check_password("demo-pass-2026")


def test_without_a_password_one_is_generated_printed_and_kept():
    output = seed()
    line = next(line for line in output.splitlines() if line.startswith("password of the new"))
    password = line.rsplit(": ", 1)[1]
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password)
    second = seed()
    assert "password of the new" not in second
    admin.refresh_from_db()
    assert admin.check_password(password)


def test_a_new_password_given_resets_the_demo_accounts():
    seed("--password", "first-pass-2026")
    seed("--password", "second-pass-2026")
    assert get_user_model().objects.get(username="admin").check_password("second-pass-2026")
