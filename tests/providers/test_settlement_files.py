"""Every settlement format: what the writer (the sandbox's) puts in, the parser gets back;
what is not the format is refused with the line that is wrong."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import settlement_lines, statement_entries

from providers.card import settlement as card
from providers.errors import MalformedMessage
from providers.momo import settlement as momo
from providers.vietqr import settlement as vietqr
from providers.vnpay import settlement as vnpay


@given(st.lists(settlement_lines("vnpay")))
def test_vnpay_round_trip(lines: list) -> None:
    payment_refs = {line.attempt_ref: f"PA{index}" for index, line in enumerate(lines) if line.kind == "refund"}
    content = vnpay.write_settlement(lines, "PUBLICPY", payment_refs)
    assert vnpay.parse_settlement(content) == lines
    # A refund line names the payment it refunds, as VNPAY's do; its request id is its reference.
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [(row["TxnRef"], row["RequestId"]) for row in rows if row["TransactionType"] != "01"] == [
        (payment_refs[line.attempt_ref], line.attempt_ref) for line in lines if line.kind == "refund"]


@given(st.lists(settlement_lines("momo")))
def test_momo_round_trip(lines: list) -> None:
    assert momo.parse_settlement(momo.write_settlement(lines, "MOMOPUBLICPAY")) == lines


@given(st.lists(settlement_lines("card", currencies=("VND", "USD", "EUR"))))
def test_card_round_trip(lines: list) -> None:
    assert card.parse_settlement(card.write_settlement(lines)) == lines


@given(st.lists(statement_entries))
def test_vietqr_statement_round_trip(entries: list) -> None:
    content = vietqr.write_statement(entries)
    assert vietqr.parse_statement(content) == entries
    assert vietqr.parse_settlement(content, "DVC") == [vietqr.settlement_line(entry, "DVC") for entry in entries]


@pytest.mark.parametrize(("parse", "content", "complaint"), [
    (vnpay.parse_settlement, b"TxnRef,Amount\r\n", "header"),
    (vnpay.parse_settlement, ",".join(vnpay.HEADER).encode() + b"\r\nPUBLICPY,pi1,1,01,12.5,0,VND,20261122093015,"
     b"20261123,\r\n", "line 2: Amount"),
    (vnpay.parse_settlement, ",".join(vnpay.HEADER).encode() + b"\r\nPUBLICPY,pi1,1,09,1,0,VND,20261122093015,"
     b"20261123,\r\n", "TransactionType"),
    (momo.parse_settlement, ",".join(momo.HEADER).encode() + b"\r\nP,o,1,payment,1,0,VND,2026-11-22T09:30:15,"
     b"2026-11-23\r\n", "no offset"),
    (momo.parse_settlement, ",".join(momo.HEADER).encode() + b"\r\nP,o,1,payment,1\r\n", "5 columns"),
    (card.parse_settlement, ",".join(card.HEADER).encode() + b"\r\ntxn_1,2026-11-22 02:30:15,2026-11-24,vnd,"
     b"1000,10,900,charge,pi_1,pi1\r\n", "net 900"),
    (lambda content: vietqr.parse_settlement(content, "DVC"), ",".join(vietqr.HEADER).encode()
     + b"\r\nFT1,2026-11-22T09:30:15+07:00,X,1,VND,d,\r\n", "creditDebit"),
    (momo.parse_settlement, b"\xff\xfe", "not UTF-8"),
])
def test_malformed_files_are_refused_with_the_line(parse, content: bytes, complaint: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MalformedMessage, match=complaint):
        parse(content)
