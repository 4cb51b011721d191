"""The acquirer's settlement file: Stripe's itemized balance-change report, one row per
balance transaction, restricted to the columns reconciliation needs.

    balance_transaction_id,created_utc,available_on,currency,gross,fee,net,reporting_category,source_id,attempt_ref
    txn_1,2026-11-22 02:30:15,2026-11-24,vnd,200000,5800,194200,charge,pi_1,pi3f8a2

Amounts are in the currency's minor unit, as in the API (Stripe's dashboard export writes
decimals instead); refunds are negative, as Stripe writes them. ``source_id`` is the
PaymentIntent or Refund, ``attempt_ref`` our metadata (the attempt's or refund's ref).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from providers.csvfile import read_rows, write_rows
from providers.errors import MalformedMessage
from providers.model import SettlementLine

HEADER = ("balance_transaction_id", "created_utc", "available_on", "currency", "gross", "fee", "net",
          "reporting_category", "source_id", "attempt_ref")
_TIME = "%Y-%m-%d %H:%M:%S"


def write_settlement(lines: Iterable[SettlementLine]) -> bytes:
    rows = []
    for number, line in enumerate(lines, start=1):
        gross = line.amount_minor if line.kind == "payment" else -line.amount_minor
        rows.append((f"txn_{number:06d}", line.transacted_at.astimezone(UTC).strftime(_TIME),
                     line.settlement_date.isoformat(), line.currency.lower(), str(gross), str(line.fee_minor),
                     str(gross - line.fee_minor), "charge" if line.kind == "payment" else "refund",
                     line.provider_ref, line.attempt_ref))
    return write_rows(HEADER, rows)


def parse_settlement(content: bytes) -> list[SettlementLine]:
    return [_line(number, row) for number, row in read_rows(content, HEADER)]


def _line(number: int, row: dict[str, str]) -> SettlementLine:
    category = row["reporting_category"]
    try:
        gross, fee, net = int(row["gross"]), int(row["fee"]), int(row["net"])
        created = datetime.strptime(row["created_utc"], _TIME).replace(tzinfo=UTC)
        available_on = date.fromisoformat(row["available_on"])
    except ValueError as problem:
        raise MalformedMessage(f"settlement file line {number}: {problem}") from None
    if category not in ("charge", "refund") or (gross > 0) != (category == "charge") or fee < 0 \
            or net != gross - fee:
        raise MalformedMessage(f"settlement file line {number}: {category} with gross {gross}, fee {fee}, net {net}")
    return SettlementLine(
        provider="card", attempt_ref=row["attempt_ref"], provider_ref=row["source_id"],
        kind="payment" if category == "charge" else "refund", amount_minor=abs(gross), fee_minor=fee,
        currency=row["currency"].upper(), transacted_at=created, settlement_date=available_on)
