"""Daily reconciliation of a channel's settlement file (DESIGN §9): each outcome, a
second import of the same file, bad lines, payment codes and virtual accounts, the
command, the admin upload and queue, and who may see them."""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from agents.models import StaffProfile
from enrollments import settlements, virtual_accounts
from enrollments.models import (
    Payment,
    PaymentLine,
    ReconciliationIssue,
    SettlementImport,
    SettlementLine,
)
from enrollments.services import reconciliation
from enrollments.services.reconciliation import settlement_reconcile
from partners.services.snap import snap_client_create
from tests.builders import pay, register, staff
from tests.snap_bank import key_pair

pytestmark = pytest.mark.django_db

WIB = datetime.timezone(datetime.timedelta(hours=7))
DAY = datetime.date(2026, 11, 21)
AT = datetime.datetime(2026, 11, 21, 10, 15, tzinfo=WIB)
HEADER = "reference,payment_code,amount,paid_at\n"
ISSUES = "/admin/enrollments/reconciliationissue/"
IMPORTS = "/admin/enrollments/settlementimport/"


@pytest.fixture(autouse=True)
def _late_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 12, 0, tzinfo=WIB)):
        yield


@pytest.fixture(autouse=True)
def _channel_takes_virtual_accounts(request):
    """The test channel is a SNAP channel with partnerServiceId 88899 (its file may name
    those virtual accounts only)."""
    if "channel" not in request.fixturenames:
        return
    channel = request.getfixturevalue("channel")
    snap_client_create(
        partner=channel,
        partner_service_id="88899",
        client_key="bank-t-client",
        public_key_pem=key_pair()[1],
    )


def test_a_virtual_account_of_another_channel_is_an_invalid_line(channel, registrations, tmp_path):
    other = virtual_accounts.virtual_account_number(
        "77700", registrations[0].participant.participant_number
    )
    with translation.override("en"):
        entry = settlements.entry_of(2, ["X-1", other, "36800", AT.isoformat()], "   88899")
    assert entry == settlements.InvalidLine(2, "This virtual account is not this channel's.")
    mine = virtual_accounts.virtual_account_number(
        "88899", registrations[0].participant.participant_number
    )
    assert isinstance(
        settlements.entry_of(2, ["X-1", mine, "36800", AT.isoformat()], "   88899"),
        settlements.SettlementEntry,
    )


@pytest.fixture
def eager_celery():
    from config.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def registrations(agent_a):
    return [register(agent_a, n) for n in range(1, 6)]


def settlement_file(directory: Path, lines: list[str], name: str = "settlement.csv") -> Path:
    path = directory / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def line(reference: str, payee: str, amount: int, at: datetime.datetime = AT) -> str:
    return f"{reference},{payee},{amount},{at.isoformat()}"


def virtual_account(registration) -> str:
    return virtual_accounts.virtual_account_number(
        "88899", registration.participant.participant_number
    )


@pytest.fixture
def day_of_payments(channel, registrations):
    """Recorded here: A (matches the file), B (the file has another amount) and C (not
    in the file). The file also lists D and E, never reported here (E by its virtual
    account)."""
    r1, r2, r3, r4, r5 = registrations
    monthly = r1.monthly_total
    pay(channel, r1, at=AT, ref="A")
    pay(channel, r2, at=AT, ref="B")
    pay(channel, r3, at=AT, ref="C")
    return [
        line("A", r1.payment_code, monthly),
        line("B", r2.payment_code, monthly * 3),
        line("D", r4.payment_code, monthly * 3),
        line("E", virtual_account(r5), monthly),
    ]


def test_each_outcome_is_reported_and_the_missing_payments_applied(
    channel, registrations, day_of_payments, tmp_path
):
    settlement = settlement_reconcile(
        channel=channel, path=settlement_file(tmp_path, day_of_payments)
    )

    assert settlement.status == SettlementImport.Status.DONE
    assert settlement.day == DAY
    report = (settlement.matched, settlement.applied, settlement.missing, settlement.mismatched)
    assert report == (1, 2, 1, 1)
    assert (settlement.invalid, settlement.lines_total, settlement.lines_done) == (0, 4, 4)
    issues = {
        (i.kind, i.channel_ref, i.file_amount, i.recorded_amount, i.payment.channel_ref)
        for i in ReconciliationIssue.objects.select_related("payment")
    }
    monthly = registrations[0].monthly_total
    assert issues == {
        ("amount_mismatch", "B", monthly * 3, monthly, "B"),
        ("missing_in_file", "C", None, monthly, "C"),
    }
    applied = PaymentLine.objects.filter(payment__channel_ref__in=["D", "E"]).select_related(
        "payment", "registration"
    )
    assert {(pl.payment.channel_ref, pl.registration_id, pl.months) for pl in applied} == {
        ("D", registrations[3].pk, 3),
        ("E", registrations[4].pk, 1),
    }
    assert all(pl.payment.paid_at == AT for pl in applied)
    assert not SettlementLine.objects.exists()  # the staging is emptied


def test_importing_the_same_file_again_changes_nothing(channel, day_of_payments, tmp_path):
    path = settlement_file(tmp_path, day_of_payments)
    settlement_reconcile(channel=channel, path=path)
    payments = list(Payment.objects.order_by("pk").values_list("pk", "channel_ref", "amount"))
    lines = PaymentLine.objects.count()
    issues = list(ReconciliationIssue.objects.order_by("pk").values_list("pk", "kind", "status"))

    again = settlement_reconcile(channel=channel, path=path)

    assert (
        list(Payment.objects.order_by("pk").values_list("pk", "channel_ref", "amount")) == payments
    )
    assert PaymentLine.objects.count() == lines
    assert list(ReconciliationIssue.objects.order_by("pk").values_list("pk", "kind", "status")) == (
        issues
    )
    assert (again.matched, again.applied, again.missing, again.mismatched) == (3, 0, 1, 1)
    assert SettlementImport.objects.count() == 2


def test_a_resolved_issue_stays_resolved_when_the_file_comes_again(
    channel, day_of_payments, tmp_path, staff_user
):
    path = settlement_file(tmp_path, day_of_payments)
    settlement_reconcile(channel=channel, path=path)
    ReconciliationIssue.objects.update(
        status="resolved", note="checked", resolved_at=AT, resolved_by=staff_user
    )
    settlement_reconcile(channel=channel, path=path)
    assert set(ReconciliationIssue.objects.values_list("status", flat=True)) == {"resolved"}


def test_a_line_applied_by_an_earlier_import_replays_rather_than_pays_twice(
    channel, registrations, tmp_path, monkeypatch
):
    """Two imports of one file at once: the second finds the line not yet recorded when
    it matched, and payment_receive replays the first one's payment (same line, same
    request hash)."""
    r1 = registrations[0]
    path = settlement_file(tmp_path, [line("D", r1.payment_code, r1.monthly_total)])
    original = reconciliation._Run.match

    def match_then_the_other_import_applies(run):
        original(run)
        monkeypatch.setattr(reconciliation._Run, "match", original)
        settlement_reconcile(channel=channel, path=path, file_name="other")

    monkeypatch.setattr(reconciliation._Run, "match", match_then_the_other_import_applies)
    first = settlement_reconcile(channel=channel, path=path)
    assert (first.applied, first.matched) == (0, 1)
    assert Payment.objects.filter(channel_ref="D").count() == 1
    assert PaymentLine.objects.filter(payment__channel_ref="D").count() == 1


def test_bad_lines_are_counted_and_listed_and_the_good_ones_still_applied(
    channel, registrations, tmp_path
):
    r1, r2, r3, r4, _r5 = registrations
    monthly = r1.monthly_total
    path = settlement_file(
        tmp_path,
        [
            line("G1", r1.payment_code, monthly),  # 2: good
            "G2,only-three,1",  # 3
            line("G3", "12345", monthly),  # 4: neither code nor virtual account
            line("G4", r2.payment_code, 0),  # 5
            f"G5,{r2.payment_code},{monthly},2026-11-21 10:00",  # 6: no offset
            line("G1", r3.payment_code, monthly),  # 7: repeated reference
            line("G6", "16133897643558", monthly),  # 8: well formed, no such registration
            line("G7", r4.payment_code, monthly + 1),  # 9: not a whole number of months
            ",,,",  # blank: skipped
        ],
    )
    with translation.override("en"):
        settlement = settlement_reconcile(channel=channel, path=path)

    assert settlement.status == SettlementImport.Status.DONE
    assert (settlement.applied, settlement.mismatched, settlement.invalid) == (1, 1, 6)
    assert [number for number, _reason in settlement.invalid_lines] == [3, 4, 5, 6, 7, 8]
    reasons = dict(settlement.invalid_lines)
    assert "line 2" in reasons[7]
    assert "registration" in reasons[8]
    issue = ReconciliationIssue.objects.get()
    assert (issue.kind, issue.channel_ref, issue.payment, issue.file_amount) == (
        "amount_mismatch",
        "G7",
        None,
        monthly + 1,
    )
    assert Payment.objects.filter(channel_ref="G7").count() == 0


def test_a_file_with_another_header_fails_the_import_without_writing_anything(channel, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("ref,code,amount,time\nX,1,2,3\n")
    settlement = settlement_reconcile(channel=channel, path=path, day=DAY)
    assert settlement.status == SettlementImport.Status.FAILED
    assert "reference,payment_code,amount,paid_at" in settlement.failure
    assert not Payment.objects.exists()
    assert not ReconciliationIssue.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("16133897643558", ("16133897643558", "", "")),
        ("   8889945900166966", ("", "45900166966", "   88899")),
        # leading spaces lost in a spreadsheet
        ("8889945900166966", ("", "45900166966", "   88899")),
        ("   8889945900166967", ("", "45900166967", "   88899")),  # the shape only: see below
        ("  A8889945900166966", None),
        ("12345", None),
        ("abc", None),
    ],
)
def test_a_payee_is_a_payment_code_or_a_virtual_account(value, expected):
    assert settlements.payee_of(value) == expected


@pytest.mark.parametrize(
    ("payment_code", "participant_number", "valid"),
    [
        ("16133897643558", "", True),
        ("16133897643559", "", False),
        ("", "45900166966", True),
        ("", "45900166967", False),
    ],
)
def test_check_digits_are_checked_before_a_line_is_applied(payment_code, participant_number, valid):
    assert settlements.payee_is_valid(payment_code, participant_number) is valid


def test_the_day_given_decides_which_recorded_payments_are_expected(
    channel, registrations, tmp_path
):
    r1, r2, *_ = registrations
    pay(channel, r1, at=AT, ref="A")
    pay(channel, r2, at=AT + datetime.timedelta(days=1), ref="NEXT-DAY")
    path = settlement_file(tmp_path, [line("A", r1.payment_code, r1.monthly_total)])
    settlement = settlement_reconcile(channel=channel, path=path, day=DAY)
    assert (settlement.matched, settlement.missing) == (1, 0)
    following = settlement_reconcile(channel=channel, path=path, day=DAY + datetime.timedelta(1))
    assert following.missing == 1
    assert ReconciliationIssue.objects.get().channel_ref == "NEXT-DAY"


def test_the_command_prints_the_report(channel, day_of_payments, tmp_path):
    out = io.StringIO()
    path = settlement_file(tmp_path, day_of_payments)
    call_command("reconcile_payments", channel.code, str(path), "--day", "2026-11-21", stdout=out)
    printed = out.getvalue()
    assert "matched: 1" in printed
    assert "applied: 2" in printed
    assert "missing from the file: 1" in printed
    assert "amount mismatches: 1" in printed
    with pytest.raises(CommandError):
        call_command("reconcile_payments", "NO-SUCH", str(path), stdout=out)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def head_office(db):
    return staff("pusat", StaffProfile.Level.HEAD_OFFICE)


def test_head_office_uploads_a_file_and_sees_its_report(
    head_office,
    channel,
    day_of_payments,
    tmp_path,
    settings,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    settings.SETTLEMENT_FILES_DIR = tmp_path / "uploads"
    client = signed_in(head_office)
    assert "Import a settlement file" in client.get(IMPORTS, HTTP_ACCEPT_LANGUAGE="en").text
    upload = io.BytesIO((HEADER + "\n".join(day_of_payments) + "\n").encode())
    upload.name = "bank-t-2026-11-21.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{IMPORTS}upload/", {"channel": channel.pk, "day": "2026-11-21", "file": upload}
        )
    settlement = SettlementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{IMPORTS}{settlement.pk}/change/"
    settlement.refresh_from_db()
    assert (settlement.status, settlement.applied, settlement.created_by) == (
        "done",
        2,
        head_office,
    )
    assert settlement.file_name == "bank-t-2026-11-21.csv"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "4 of 4" in page.text


def test_head_office_resolves_issues_with_a_note(head_office, channel, day_of_payments, tmp_path):
    settlement_reconcile(channel=channel, path=settlement_file(tmp_path, day_of_payments))
    client = signed_in(head_office)
    listed = client.get(ISSUES)
    assert listed.status_code == 200
    assert {i.channel_ref for i in listed.context["cl"].result_list} == {"B", "C"}
    selected = list(ReconciliationIssue.objects.values_list("pk", flat=True))
    asked = client.post(ISSUES, {"action": "mark_resolved", "_selected_action": selected})
    assert asked.status_code == 200
    assert "note" in asked.context["form"].fields
    without_note = client.post(
        ISSUES, {"action": "mark_resolved", "_selected_action": selected, "apply": "1", "note": ""}
    )
    assert without_note.status_code == 200
    assert ReconciliationIssue.objects.filter(status="open").count() == 2
    done = client.post(
        ISSUES,
        {
            "action": "mark_resolved",
            "_selected_action": selected,
            "apply": "1",
            "note": "Bank confirmed by phone",
        },
    )
    assert done.status_code == 302
    resolved = ReconciliationIssue.objects.all()
    assert {(i.status, i.note, i.resolved_by) for i in resolved} == {
        ("resolved", "Bank confirmed by phone", head_office)
    }


def test_branch_staff_see_no_reconciliation_unless_granted(
    kendari, channel, day_of_payments, tmp_path
):
    settlement_reconcile(channel=channel, path=settlement_file(tmp_path, day_of_payments))
    branch_staff = staff("cabang", StaffProfile.Level.BRANCH, branch=kendari)
    client = signed_in(branch_staff)
    for url in (ISSUES, IMPORTS, f"{IMPORTS}upload/"):
        assert client.get(url).status_code == 403, url
    branch_staff.groups.add(Group.objects.get(name="Staf Kantor Pusat"))
    assert signed_in(branch_staff).get(ISSUES).status_code == 200


def test_the_documented_example_file_reads_without_invalid_lines():
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "settlement.csv"
    with example.open(encoding="utf-8", newline="") as text:
        entries = list(settlements.settlement_lines(text, "   88899"))  # its channel's id
    assert entries
    assert all(isinstance(entry, settlements.SettlementEntry) for entry in entries)
