import datetime
import uuid

from enrollments import services as enrollment_services
from enrollments.models import Registration
from tests.enrollments.conftest import body


def iso(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


def register(agent, n: int, *, captured: datetime.datetime | None = None) -> Registration:
    item = body(n)
    # Long before any payment date the tests use: no one pays before being registered.
    captured = captured or datetime.datetime(2023, 12, 1, 9, tzinfo=datetime.UTC)
    result = enrollment_services.registrations_register(
        agent=agent,
        items=[
            enrollment_services.RegistrationInput(
                client_uuid=uuid.UUID(item["client_uuid"]),
                nik=item["nik"],
                full_name=item["full_name"],
                birth_date=datetime.date(1990, 1, 1),
                sex="M",
                phone=item["phone"],
                regency_code="7471",
                address="",
                occupation="fisher",
                declared_income=1_000_000,
                programs=frozenset({"JKK", "JKM", "JHT"}),
                payment_period_months=1,
                consent=enrollment_services.Consent(True, "signature", captured),
                captured_at=captured,
            )
        ],
        channel=Registration.Channel.SYNC,
    )[0]
    assert result.registration is not None, result.error
    return result.registration


def pay(
    channel,
    registration: Registration,
    *,
    months: int = 1,
    at: datetime.datetime,
    ref: str | None = None,
):
    return enrollment_services.payment_receive(
        channel=channel,
        channel_ref=ref or f"P-{uuid.uuid4().hex[:12]}",
        lines=[
            enrollment_services.PaymentLineInput(
                registration.payment_code, registration.monthly_total * months, months
            )
        ],
        paid_at=at,
        request_hash=uuid.uuid4().hex,
    )
