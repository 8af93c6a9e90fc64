"""A planner's set written by the database: the same rules as one message at a time
(template in force, quiet hours, opt-outs, once per dedupe key), in one statement."""

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast

from core.exceptions import InvalidInputError
from core.expressions import ConcatText
from notifications import services
from notifications.errors import TemplateMissingError
from notifications.models import MessageStatus, MessageTemplate, OutboundMessage, PhoneOptOut
from tests.notifications.conftest import WITA, local

pytestmark = pytest.mark.django_db

KINDLY = {
    "name": F("first_name"),
    "participant_number": Cast("id", CharField()),
    "amount": Value("Rp36.800"),
    "payment_code": F("username"),
    "virtual_account": F("username"),
}


def people(count: int) -> None:
    User.objects.bulk_create(
        User(username=f"P{n:04d}", first_name=f"Nama {n}", last_name=f"+62812{n:08d}")
        for n in range(count)
    )


def plan(**changes: Any) -> int:
    arguments: dict[str, Any] = {
        "kind": "lapse_notice",
        "time_zone": WITA,
        "rows": User.objects.all(),
        "phone": F("last_name"),
        "dedupe_key": ConcatText(Value("lapse:"), F("username")),
        "context": KINDLY,
    }
    return services.messages_enqueue_select(**(arguments | changes))


@time_machine.travel(local(WITA, 2026, 12, 3, 21), tick=False)
def test_each_row_gets_its_message_once_at_the_next_sending_hour(templates):
    people(3)
    assert plan() == 3
    assert plan() == 0
    messages = OutboundMessage.objects.order_by("dedupe_key")
    assert [m.dedupe_key for m in messages] == ["lapse:P0000", "lapse:P0001", "lapse:P0002"]
    first = messages[0]
    assert first.phone == "+6281200000000"
    assert "Nama 0" in first.text and "Rp36.800" in first.text and "{" not in first.text
    # 21:00 in Makassar is past the sending hours: the morning after.
    assert {m.next_attempt_at for m in messages} == {local(WITA, 2026, 12, 4, 8)}
    assert {m.status for m in messages} == {MessageStatus.QUEUED}


def test_a_phone_that_opted_out_is_written_cancelled_and_an_empty_one_skipped(templates):
    people(3)
    PhoneOptOut.objects.create(phone="+6281200000001", source="reply")
    User.objects.filter(username="P0002").update(last_name="")
    assert plan() == 2  # the third row has no phone
    by_key = {m.dedupe_key: m for m in OutboundMessage.objects.all()}
    assert by_key["lapse:P0001"].status == MessageStatus.CANCELLED
    assert by_key["lapse:P0001"].cancel_reason == "opted_out"
    assert by_key["lapse:P0000"].status == MessageStatus.QUEUED


def test_a_value_is_never_read_as_a_template(templates):
    people(1)
    User.objects.update(first_name="{amount} {{x}}")
    plan()
    assert "Yth. {amount} {{x}}, " in OutboundMessage.objects.get().text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "manual"}, "kind"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"context": {"name": F("first_name")}}, "context"),
    ],
)
def test_a_wrong_call_is_refused_before_anything_is_written(templates, changes, field):
    people(1)
    with pytest.raises(InvalidInputError) as refused:
        plan(**changes)
    assert field in (refused.value.fields or {})
    assert not OutboundMessage.objects.exists()


def test_without_a_template_in_force_nothing_is_written(templates):
    people(1)
    MessageTemplate.objects.filter(kind="lapse_notice").delete()
    with pytest.raises(TemplateMissingError):
        plan()
    assert not OutboundMessage.objects.exists()
