"""MoMo's daily reconciliation file as this project receives it: CSV, one row per payment
or refund transacted that day, whole đồng, times ISO 8601 with their offset.

    partnerCode,orderId,transId,transType,amount,fee,currency,transTime,settlementDate
    MOMOPUBLICPAY,pi_3F8A2,4088878653,payment,200000,3000,VND,2026-11-22T09:30:15+07:00,2026-11-23

For a refund, ``orderId`` is the refund's own order id (our refund ref) and ``transId``
MoMo's id of the refund.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from providers.csvfile import read_rows, whole_number, write_rows
from providers.errors import MalformedMessage
from providers.model import SettlementLine
from providers.clock import BUSINESS_ZONE

HEADER = ("partnerCode", "orderId", "transId", "transType", "amount", "fee", "currency", "transTime",
          "settlementDate")


def write_settlement(lines: Iterable[SettlementLine], partner_code: str) -> bytes:
    return write_rows(HEADER, (
        (partner_code, line.attempt_ref, line.provider_ref, line.kind, str(line.amount_minor),
         str(line.fee_minor), line.currency, line.transacted_at.astimezone(BUSINESS_ZONE).isoformat(),
         line.settlement_date.isoformat())
        for line in lines))


def parse_settlement(content: bytes) -> list[SettlementLine]:
    return [_line(number, row) for number, row in read_rows(content, HEADER)]


def _line(number: int, row: dict[str, str]) -> SettlementLine:
    kind = row["transType"]
    if kind not in ("payment", "refund"):
        raise MalformedMessage(f"settlement file line {number}: transType {kind!r}")
    try:
        transacted_at = datetime.fromisoformat(row["transTime"])
        settlement_date = date.fromisoformat(row["settlementDate"])
    except ValueError as problem:
        raise MalformedMessage(f"settlement file line {number}: {problem}") from None
    if transacted_at.tzinfo is None:
        raise MalformedMessage(f"settlement file line {number}: transTime {row['transTime']!r} has no offset")
    return SettlementLine(
        provider="momo", attempt_ref=row["orderId"], provider_ref=row["transId"],
        kind="payment" if kind == "payment" else "refund",
        amount_minor=whole_number(row["amount"], "amount", number), fee_minor=whole_number(row["fee"], "fee", number),
        currency=row["currency"], transacted_at=transacted_at, settlement_date=settlement_date)
