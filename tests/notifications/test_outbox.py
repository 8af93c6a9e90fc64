import datetime
import time

import pytest
import time_machine
from django.db import transaction

from core.exceptions import InvalidInputError
from notifications import services
from notifications.errors import TemplateMissingError
from notifications.models import MessageStatus, MessageTemplate, OutboundMessage
from tests.notifications.conftest import WIB, WIT, WITA, local, welcome_context

pytestmark = pytest.mark.django_db


def welcome(n: int = 1, **changes):
    arguments = {
        "phone": f"0812{n:08d}",
        "time_zone": WITA,
        "kind": "welcome",
        "dedupe_key": f"welcome:{n}",
        "context": welcome_context(),
    }
    return services.message_enqueue(**(arguments | changes))


@time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False)
def test_a_welcome_is_written_from_the_template_in_force(templates):
    result = welcome()
    message = result.message
    assert result.created
    assert message.phone == "+6281200000001"
    assert message.status == MessageStatus.QUEUED
    assert message.next_attempt_at == local(WITA, 2026, 12, 3, 9)
    assert "Nomor peserta Anda 12345678901" in message.text
    assert "Rp110.400 untuk 3 bulan" in message.text
    assert "{" not in message.text


def test_the_same_dedupe_key_writes_one_message(templates):
    first = welcome()
    second = welcome(context=welcome_context(amount="Rp1"))
    assert second.created is False
    assert second.message.pk == first.message.pk
    assert "Rp110.400" in second.message.text
    assert OutboundMessage.objects.count() == 1


def test_a_planner_enqueuing_twice_writes_once(templates):
    batch = [
        services.NewMessage(
            phone=f"0812{n:08d}",
            time_zone=[WIB, WITA, WIT][n % 3],
            kind="reminder_due",
            dedupe_key=f"reminder_due:{n}:2026-12",
            context={
                "name": f"Peserta {n}",
                "participant_number": f"{n:011d}",
                "paid_through": "31-12-2026",
                "amount": "Rp36.800",
                "payment_code": f"{n:014d}",
                "virtual_account": f"{n:020d}",
            },
        )
        for n in range(1, 41)
    ]
    assert services.messages_enqueue(messages=batch) == 40
    assert services.messages_enqueue(messages=batch) == 0
    assert services.messages_enqueue(messages=[*batch[:10], batch[0]]) == 0
    assert OutboundMessage.objects.count() == 40


def test_a_planner_batch_with_one_bad_message_writes_nothing(templates):
    batch = [
        services.NewMessage("081200000001", WITA, "manual", "m:1", text="Halo"),
        services.NewMessage("not a phone", WITA, "manual", "m:2", text="Halo"),
    ]
    with pytest.raises(InvalidInputError) as refused:
        services.messages_enqueue(messages=batch)
    assert list(refused.value.fields or {}) == ["phone"]
    assert OutboundMessage.objects.count() == 0


def test_the_message_and_its_event_commit_together_or_not_at_all(templates):
    with pytest.raises(RuntimeError), transaction.atomic():
        welcome()
        raise RuntimeError("the event failed after writing its message")
    assert OutboundMessage.objects.count() == 0


@time_machine.travel(local(WITA, 2026, 12, 3, 10), tick=False)
def test_sending_is_queued_only_after_commit(
    templates, django_capture_on_commit_callbacks, provider, eager_celery
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = welcome().message
    assert provider.calls == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert provider.calls == [str(message.pk)]


@pytest.mark.usefixtures("redis_down")
def test_with_the_broker_down_the_message_is_kept_for_the_sweep(
    templates, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with (
        time_machine.travel(local(WITA, 2026, 12, 3, 10), tick=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = welcome().message
    assert time.monotonic() - started < 5
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED


@time_machine.travel(local(WITA, 2026, 12, 3, 21), tick=False)
def test_a_message_written_at_night_waits_until_eight_local_time(templates):
    message = welcome().message
    assert message.next_attempt_at == local(WITA, 2026, 12, 4, 8)


def test_a_message_to_an_opted_out_phone_is_written_cancelled(templates):
    services.phone_opt_out(phone="0812-0000-0001", source="registration")
    message = welcome().message
    assert message.status == MessageStatus.CANCELLED
    assert message.cancel_reason == "opted_out"


def test_a_caller_must_give_exactly_the_kinds_values(templates):
    context = welcome_context()
    del context["virtual_account"]
    with pytest.raises(InvalidInputError) as missing:
        welcome(context=context)
    assert list(missing.value.fields or {}) == ["context"]
    with pytest.raises(InvalidInputError):
        welcome(context=welcome_context(nik="7471014507900001"))


def test_an_unknown_time_zone_is_refused(templates):
    with pytest.raises(InvalidInputError) as refused:
        welcome(time_zone="WITA")
    assert list(refused.value.fields or {}) == ["time_zone"]


def test_no_template_in_force_is_a_clear_error(db):
    MessageTemplate.objects.all().delete()
    with pytest.raises(TemplateMissingError):
        welcome()


def test_a_template_version_applies_from_its_first_local_day(templates):
    with time_machine.travel(local(WITA, 2026, 12, 3, 9), tick=False):
        services.message_template_create(
            kind="receipt",
            effective_from=datetime.date(2026, 12, 10),
            text="Iuran {amount} diterima, {name}. Terima kasih.",
        )
    context = {
        "name": "Sitti",
        "participant_number": "1",
        "amount": "Rp36.800",
        "months": "1",
        "paid_through": "31-01-2027",
    }

    def receipt(n: int, zone: str = WITA) -> str:
        return services.message_enqueue(
            phone="081200000009",
            time_zone=zone,
            kind="receipt",
            dedupe_key=f"r:{n}",
            context=context,
        ).message.text

    with time_machine.travel(local(WITA, 2026, 12, 9, 23, 30), tick=False):
        assert receipt(1).startswith("Terima kasih")
        # Already the 10th in Jayapura.
        assert receipt(2, WIT) == "Iuran Rp36.800 diterima, Sitti. Terima kasih."
    with time_machine.travel(local(WITA, 2026, 12, 10, 9), tick=False):
        assert receipt(3) == "Iuran Rp36.800 diterima, Sitti. Terima kasih."
