"""Settlement files from payment channels (DESIGN §9, daily reconciliation). Pure.

A UTF-8 CSV with the header ``reference,payment_code,amount,paid_at``: the channel's
reference for the payment (its ``channel_ref``, or the SNAP ``paymentRequestId``), the
14-digit payment code or the 19-character virtual-account number paid into, the amount
in whole Rupiah and the time of payment in ISO 8601 with its offset. docs/reconciliation.md
describes it; docs/examples/settlement.csv is one.
"""

from __future__ import annotations

import csv
import datetime
import zoneinfo
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from django.utils.translation import gettext as _

from enrollments import codes, virtual_accounts

SETTLEMENT_CSV_HEADER = ["reference", "payment_code", "amount", "paid_at"]
# A channel-day is a day in Western Indonesia Time, as the banks settle.
SETTLEMENT_ZONE = zoneinfo.ZoneInfo("Asia/Jakarta")
REFERENCE_MAX_LENGTH = 100
AMOUNT_MAX_DIGITS = 15


class SettlementFileError(ValueError):
    """The file as a whole cannot be read (its header, its encoding)."""


class SettlementEntry(NamedTuple):
    """A valid line: exactly one of ``payment_code`` and ``participant_number`` is set.
    (A named tuple: a million of them are made per file.)"""

    line_number: int
    reference: str
    payment_code: str
    participant_number: str
    amount: int
    paid_at: datetime.datetime


class InvalidLine(NamedTuple):
    line_number: int
    reason: str


def payee_of(value: str) -> tuple[str, str, str] | None:
    """``(payment_code, "", "")`` for a payment code, ``("", participant_number,
    partnerServiceId)`` for a virtual-account number, or None. Only the shape is checked
    here; the check digits are checked when the line is applied (a line matched by its
    reference needs neither). A virtual-account number whose leading spaces a spreadsheet dropped is
    padded back to its 19 characters."""
    if not value.isascii():
        return None
    if len(value) == codes.PAYMENT_CODE_LENGTH and value.isdigit():
        return (value, "", "")
    if not (
        codes.PARTICIPANT_NUMBER_LENGTH < len(value) <= virtual_accounts.VIRTUAL_ACCOUNT_LENGTH
    ):
        return None
    parts = virtual_accounts.split_virtual_account(
        value.rjust(virtual_accounts.VIRTUAL_ACCOUNT_LENGTH)
    )
    if parts is None:
        return None
    service_id, customer_no = parts
    if virtual_accounts.partner_service_id_padded(service_id) != service_id:
        return None
    if not customer_no.isdigit():
        return None
    return ("", customer_no, service_id)


def payee_is_valid(payment_code: str, participant_number: str) -> bool:
    """The check digit of a line's payment code or participant number."""
    if payment_code:
        return codes.payment_code_is_well_formed(payment_code)
    return virtual_accounts.participant_number_of(participant_number) is not None


_COLUMNS = len(SETTLEMENT_CSV_HEADER)


def entry_of(
    line_number: int, row: list[str], service_id: str | None = None
) -> SettlementEntry | InvalidLine:
    """The line as a SettlementEntry, or the first reason it is not one. With the
    channel's ``service_id`` (its SNAP partnerServiceId, padded), a virtual account of
    another service id is not this channel's to report."""
    if len(row) != _COLUMNS:
        return InvalidLine(line_number, _("Expected %(count)d columns.") % {"count": _COLUMNS})
    reference, payee, amount_text, paid_at_text = row
    reference = reference.strip()
    if not reference or len(reference) > REFERENCE_MAX_LENGTH:
        return InvalidLine(
            line_number,
            _("The reference must have 1 to %(max)d characters.") % {"max": REFERENCE_MAX_LENGTH},
        )
    payee = payee.strip()
    found = payee_of(payee)
    if found is None:
        return InvalidLine(
            line_number,
            _("Neither a payment code nor a virtual-account number: %(value)s")
            % {"value": payee[:30]},
        )
    if found[2] and found[2] != service_id:
        return InvalidLine(line_number, _("This virtual account is not this channel's."))
    amount_text = amount_text.strip()
    if (
        not amount_text.isascii()
        or not amount_text.isdigit()
        or len(amount_text) > AMOUNT_MAX_DIGITS
        or int(amount_text) == 0
    ):
        return InvalidLine(line_number, _("The amount must be whole Rupiah, more than zero."))
    try:
        paid_at = datetime.datetime.fromisoformat(paid_at_text.strip())
    except ValueError:
        paid_at = None
    if paid_at is None or paid_at.tzinfo is None:
        return InvalidLine(
            line_number,
            _("The payment time must be ISO 8601 with its offset, e.g. %(example)s")
            % {"example": "2026-11-21T10:15:00+07:00"},
        )
    return SettlementEntry(line_number, reference, found[0], found[1], int(amount_text), paid_at)


def settlement_lines(
    text: Iterable[str], service_id: str | None = None
) -> Iterator[SettlementEntry | InvalidLine]:
    """Each non-blank line of a settlement file after its header, as an entry or the
    reason it is invalid (``service_id``: as ``entry_of``). Raises SettlementFileError
    when the header is not exactly SETTLEMENT_CSV_HEADER or the file is not UTF-8 CSV."""
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if (
            header is None
            or [column.strip().lstrip("\ufeff") for column in header] != SETTLEMENT_CSV_HEADER
        ):
            raise SettlementFileError(
                _("The header must be exactly: %(header)s")
                % {"header": ",".join(SETTLEMENT_CSV_HEADER)}
            )
        for row in reader:
            entry = entry_of(reader.line_num, row, service_id)
            if type(entry) is InvalidLine and not any(cell.strip() for cell in row):
                continue  # a blank line
            yield entry
    except UnicodeDecodeError as exc:
        raise SettlementFileError(_("The file is not UTF-8 text.")) from exc
    except csv.Error as exc:
        raise SettlementFileError(_("The file is not valid CSV.")) from exc


def settlement_day_of(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(SETTLEMENT_ZONE).date()


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The channel-day ``day`` as [start, end) aware datetimes."""
    start = datetime.datetime.combine(day, datetime.time(), SETTLEMENT_ZONE)
    return start, start + datetime.timedelta(days=1)
