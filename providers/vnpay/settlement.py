"""VNPAY's daily settlement file, as this project receives it: CSV, one row per payment or
refund transacted that day, amounts in whole đồng (not the API's × 100), times in GMT+7.

    TmnCode,TxnRef,TransactionNo,TransactionType,Amount,Fee,CurrCode,PayDate,SettlementDate,RequestId
    PUBLICPY,PA3F8A2,14422574,01,200000,2200,VND,20261122093015,20261123,
    PUBLICPY,PA3F8A2,14422580,03,50000,0,VND,20261122110000,20261123,re1Qx7

TransactionType is VNPAY's: 01 payment, 02 full refund, 03 partial refund. As in VNPAY's
API, a refund belongs to the payment it refunds: its TxnRef is the payment's, its
TransactionNo is VNPAY's number for the refund, and RequestId is the vnp_RequestId we sent
(our refund reference; empty on payments). A payment can have several partial refunds, so
only RequestId tells them apart: a refund line's ``SettlementLine.attempt_ref`` is it, the
reference the ledger's refund transfers carry. (VNPAY's file layout comes with the merchant
contract; a file without the request id would be matched on the refund's TransactionNo.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from providers.csvfile import read_rows, whole_number, write_rows
from providers.errors import MalformedMessage
from providers.model import SettlementLine
from providers.vnpay.api import FULL_REFUND, PARTIAL_REFUND, PAYMENT, format_time, parse_time

HEADER = ("TmnCode", "TxnRef", "TransactionNo", "TransactionType", "Amount", "Fee", "CurrCode", "PayDate",
          "SettlementDate", "RequestId")


def write_settlement(lines: Iterable[SettlementLine], tmn_code: str, payment_refs: Mapping[str, str]) -> bytes:
    """``payment_refs``: the TxnRef of the payment each refund (by its request id) refunds."""
    return write_rows(HEADER, (
        (tmn_code, line.attempt_ref if line.kind == "payment" else payment_refs[line.attempt_ref],
         line.provider_ref, PAYMENT if line.kind == "payment" else FULL_REFUND, str(line.amount_minor),
         str(line.fee_minor), line.currency, format_time(line.transacted_at),
         line.settlement_date.strftime("%Y%m%d"), "" if line.kind == "payment" else line.attempt_ref)
        for line in lines))


def parse_settlement(content: bytes) -> list[SettlementLine]:
    return [_line(number, row) for number, row in read_rows(content, HEADER)]


def _line(number: int, row: dict[str, str]) -> SettlementLine:
    kinds = {PAYMENT: "payment", FULL_REFUND: "refund", PARTIAL_REFUND: "refund"}
    if row["TransactionType"] not in kinds:
        raise MalformedMessage(f"settlement file line {number}: TransactionType {row['TransactionType']!r}")
    try:
        settlement_date = datetime.strptime(row["SettlementDate"], "%Y%m%d").date()
    except ValueError:
        raise MalformedMessage(f"settlement file line {number}: SettlementDate {row['SettlementDate']!r}") from None
    kind = kinds[row["TransactionType"]]
    return SettlementLine(
        provider="vnpay", attempt_ref=row["TxnRef"] if kind == "payment" else row["RequestId"],
        provider_ref=row["TransactionNo"], kind=kind,
        amount_minor=whole_number(row["Amount"], "Amount", number),
        fee_minor=whole_number(row["Fee"], "Fee", number), currency=row["CurrCode"],
        transacted_at=parse_time(row["PayDate"], f"settlement file line {number}: PayDate"),
        settlement_date=settlement_date)
