import datetime

import pytest

from notifications import rules
from tests.notifications.conftest import WIB, WIT, WITA, local

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("moment", "zone", "expected"),
    [
        (local(WITA, 2026, 12, 3, 7, 59), WITA, local(WITA, 2026, 12, 3, 8)),
        (local(WITA, 2026, 12, 3, 8), WITA, local(WITA, 2026, 12, 3, 8)),
        (local(WITA, 2026, 12, 3, 19, 59), WITA, local(WITA, 2026, 12, 3, 19, 59)),
        (local(WITA, 2026, 12, 3, 20), WITA, local(WITA, 2026, 12, 4, 8)),
        (local(WITA, 2026, 12, 31, 23, 30), WITA, local(WITA, 2027, 1, 1, 8)),
        # 13:00 UTC is 20:00 in Jakarta (closed) but 22:00 in Jayapura (closed too),
        # and 12:00 UTC is 19:00 WIB (open) but 21:00 WIT (closed).
        (datetime.datetime(2026, 12, 3, 12, tzinfo=UTC), WIB, local(WIB, 2026, 12, 3, 19)),
        (datetime.datetime(2026, 12, 3, 12, tzinfo=UTC), WIT, local(WIT, 2026, 12, 4, 8)),
    ],
)
def test_a_message_goes_only_between_eight_and_twenty_local_time(moment, zone, expected):
    sent = rules.sending_time(moment, zone, from_hour=8, until_hour=20)
    assert sent == expected
    assert sent.tzinfo == UTC


def test_the_daily_cap_waits_for_eight_on_the_next_local_day():
    moment = local(WIT, 2026, 12, 3, 9)
    assert rules.next_day_opening(moment, WIT, from_hour=8) == local(WIT, 2026, 12, 4, 8)
    start, end = rules.local_day_bounds(moment, WIT)
    assert (start, end) == (local(WIT, 2026, 12, 3, 0), local(WIT, 2026, 12, 4, 0))


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (5, 16), (9, 256), (10, 360), (60, 360)]
)
def test_retries_back_off_exponentially_up_to_the_cap(attempts, minutes):
    delay = rules.retry_delay(attempts, base_seconds=60, max_seconds=6 * 3600)
    assert delay == datetime.timedelta(minutes=minutes)


def test_phones_are_masked_as_operators_show_them():
    assert rules.mask_phone("+6281234567890") == "+62812****890"
    assert "34567" not in rules.mask_phone("+62813456789")


def test_digit_runs_as_long_as_a_nik_are_masked():
    text = "NIK 7471014507900001, kode bayar 12345678901234, nomor 12345678901234567890"
    masked = rules.mask_long_digit_runs(text)
    assert "7471014507900001" not in masked
    assert "************0001" in masked
    assert "12345678901234," in masked  # 14 digits: a payment code stays readable
    assert "****************7890" in masked


@pytest.mark.parametrize("reply", ["BERHENTI", "berhenti", "  Stop \n", "S T O P".replace(" ", "")])
def test_stop_words_are_recognised_whatever_the_case_and_spacing(reply):
    assert rules.is_stop_word(reply)


@pytest.mark.parametrize("reply", ["berhenti dulu", "STOPP", "", "tolong stop"])
def test_other_replies_are_not_stop_words(reply):
    assert not rules.is_stop_word(reply)


@pytest.mark.parametrize(
    ("text", "code", "names"),
    [
        ("Halo {nama}", "template_unknown_placeholder", ("nama",)),
        ("Halo {name", "template_braces", ()),
        ("Halo {}", "template_placeholder_form", ("",)),
        ("Halo {name.upper}", "template_placeholder_form", ("name.upper",)),
        ("Halo {name!r}", "template_placeholder_form", ("name",)),
        ("Halo {amount:>10}", "template_placeholder_form", ("amount",)),
    ],
)
def test_a_template_uses_plain_known_placeholders_only(text, code, names):
    with pytest.raises(rules.TemplateTextError) as refused:
        rules.template_check(rules.RECEIPT, text)
    assert (refused.value.code, refused.value.names) == (code, names)


def test_literal_braces_are_allowed_when_doubled():
    rules.template_check(rules.RECEIPT, "{{Info}} {name}")
    assert rules.render("{{Info}} {name}", {"name": "Sitti"}) == "{Info} Sitti"
