"""What stands for a settlement file at a bank: the account's statement.

Reconciliation reads the bank's camt.053 statement itself; this module reads the simple
CSV export the sandbox bank offers (and many Vietnamese banks' portals do), for the demo
and for reconciling without camt.053:

    transactionId,bookingTime,creditDebit,amount,currency,description,customerRef
    FT26326000001,2026-11-22T09:30:15+07:00,C,200000,VND,NGUYEN VAN A CK DVC4Q8M1ZP7TK,
    FT26326000002,2026-11-22T10:02:44+07:00,D,50000,VND,Hoan tien,re_abc

A credit's reference is found in its description (the only place the payer's app puts
it), a debit's in ``customerRef`` (our return's own reference, echoed by the bank). A
credit whose description holds no reference, or several, has an empty ``attempt_ref``:
reconciliation reports it as money it cannot attribute. NAPAS 247 settles at once, so
the settlement date is the booking date, and the bank charges the payee no fee.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import msgspec

from providers.clock import BUSINESS_ZONE
from providers.csvfile import read_rows, whole_number, write_rows
from providers.errors import MalformedMessage
from providers.model import SettlementLine
from providers.vietqr.references import extract_references

HEADER = ("transactionId", "bookingTime", "creditDebit", "amount", "currency", "description", "customerRef")


class StatementEntry(msgspec.Struct, frozen=True, kw_only=True):
    transaction_id: str
    booked_at: datetime  # aware
    credit_debit: Literal["C", "D"]
    amount_minor: int
    currency: str
    description: str
    customer_ref: str = ""  # our reference of a debit we ordered


def write_statement(entries: Iterable[StatementEntry]) -> bytes:
    return write_rows(HEADER, ((e.transaction_id, e.booked_at.astimezone(BUSINESS_ZONE).isoformat(), e.credit_debit,
                                str(e.amount_minor), e.currency, e.description, e.customer_ref) for e in entries))


def settlement_line(entry: StatementEntry, prefix: str) -> SettlementLine:
    if entry.credit_debit == "D":
        attempt_ref = entry.customer_ref
    else:
        found = extract_references(entry.description, prefix)
        attempt_ref = found[0] if len(found) == 1 else ""
    return SettlementLine(
        provider="vietqr", attempt_ref=attempt_ref, provider_ref=entry.transaction_id,
        kind="payment" if entry.credit_debit == "C" else "refund", amount_minor=entry.amount_minor, fee_minor=0,
        currency=entry.currency, transacted_at=entry.booked_at,
        settlement_date=entry.booked_at.astimezone(BUSINESS_ZONE).date())


def parse_statement(content: bytes) -> list[StatementEntry]:
    return [_entry(number, row) for number, row in read_rows(content, HEADER)]


def parse_settlement(content: bytes, prefix: str) -> list[SettlementLine]:
    return [settlement_line(entry, prefix) for entry in parse_statement(content)]


def _entry(number: int, row: dict[str, str]) -> StatementEntry:
    if row["creditDebit"] not in ("C", "D"):
        raise MalformedMessage(f"statement line {number}: creditDebit {row['creditDebit']!r}")
    try:
        booked_at = datetime.fromisoformat(row["bookingTime"])
    except ValueError as problem:
        raise MalformedMessage(f"statement line {number}: {problem}") from None
    if booked_at.tzinfo is None:
        raise MalformedMessage(f"statement line {number}: bookingTime has no offset")
    return StatementEntry(transaction_id=row["transactionId"], booked_at=booked_at,
                          credit_debit="C" if row["creditDebit"] == "C" else "D",
                          amount_minor=whole_number(row["amount"], "amount", number), currency=row["currency"],
                          description=row["description"], customer_ref=row["customerRef"])
