"""The neutral settlement file: one CSV row per :class:`providers.model.SettlementLine`.

Until each provider's own format is parsed by its adapter, ``publicpay reconcile`` reads
this one. UTF-8 (a BOM is allowed), RFC 4180, a header row naming the fields in this
order, then one line per row::

    provider,attempt_ref,provider_ref,kind,amount_minor,fee_minor,currency,transacted_at,settlement_date
    vnpay,PA-0001,14123456,payment,200000,1650,VND,2026-11-21T09:15:02+07:00,2026-11-22

``kind`` is ``payment`` or ``refund``; amounts are whole minor units (VND has none below
the đồng), always positive; ``transacted_at`` is ISO 8601 with its UTC offset and
``settlement_date`` the day the provider pays the line out. Rows are read one at a time,
so a file of a million lines needs no more memory than one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import BinaryIO

from providers.model import SettlementLine
from reconciliation.errors import SettlementFormatError

FIELDS = ("provider", "attempt_ref", "provider_ref", "kind", "amount_minor", "fee_minor", "currency",
          "transacted_at", "settlement_date")
KINDS = frozenset(("payment", "refund"))


def read_settlement_csv(stream: BinaryIO) -> Iterator[SettlementLine]:
    """Each row of the neutral CSV as a SettlementLine; SettlementFormatError names the
    first bad line."""
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(header) != FIELDS:
            raise SettlementFormatError(f"line 1: header is {header!r}, expected {','.join(FIELDS)}")
        for row in reader:
            yield _line(row, reader.line_num)
    except UnicodeDecodeError as problem:
        raise SettlementFormatError(f"the settlement file is not UTF-8: {problem}") from None


def _line(row: list[str], line: int) -> SettlementLine:
    if len(row) != len(FIELDS):
        raise SettlementFormatError(f"line {line}: {len(row)} columns, expected {len(FIELDS)}")
    provider, attempt_ref, provider_ref, kind, amount, fee, currency, transacted_at, settlement_date = row
    try:
        moment = datetime.fromisoformat(transacted_at)
        line_value = SettlementLine(
            provider=provider, attempt_ref=attempt_ref, provider_ref=provider_ref, kind=kind,  # type: ignore[arg-type]
            amount_minor=int(amount), fee_minor=int(fee), currency=currency, transacted_at=moment,
            settlement_date=date.fromisoformat(settlement_date))
    except ValueError as problem:
        raise SettlementFormatError(f"line {line}: {problem}") from None
    problem = _broken_rule(line_value)
    if problem:
        raise SettlementFormatError(f"line {line}: {problem}")
    return line_value


def _broken_rule(line: SettlementLine) -> str | None:
    if not line.attempt_ref:
        return "attempt_ref is empty"
    if line.kind not in KINDS:
        return f"kind {line.kind!r} is neither payment nor refund"
    if line.amount_minor <= 0 or line.fee_minor < 0:
        return "amount_minor must be positive and fee_minor not negative"
    if len(line.currency) != 3 or not line.currency.isupper():
        return f"currency {line.currency!r} is not an ISO 4217 code"
    if line.transacted_at.tzinfo is None:
        return "transacted_at has no UTC offset"
    return None


def write_settlement_csv(lines: Iterable[SettlementLine], stream: BinaryIO) -> None:
    """The inverse of :func:`read_settlement_csv`, streamed."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerows((line.provider, line.attempt_ref, line.provider_ref, line.kind, line.amount_minor,
                      line.fee_minor, line.currency, line.transacted_at.isoformat(),
                      line.settlement_date.isoformat()) for line in lines)
    text.flush()
    text.detach()  # leave the caller's stream open
