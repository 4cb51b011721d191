"""The neutral settlement CSV and the bank statement check, on their own."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from golden_books import DATA, DAY, settlement_statement
from providers.model import SettlementLine
from reconciliation.bank_check import find_settlement_booking, names_payout
from reconciliation.errors import SettlementFormatError
from reconciliation.settlement_csv import read_settlement_csv, write_settlement_csv

HEADER = b"provider,attempt_ref,provider_ref,kind,amount_minor,fee_minor,currency,transacted_at,settlement_date\r\n"
refs = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20)
lines = st.builds(SettlementLine, provider=st.sampled_from(["vnpay", "momo"]), attempt_ref=refs, provider_ref=refs,
                  kind=st.sampled_from(["payment", "refund"]), amount_minor=st.integers(1, 10**15),
                  fee_minor=st.integers(0, 10**9), currency=st.sampled_from(["VND", "USD"]),
                  transacted_at=st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)),
                  settlement_date=st.dates())


@given(st.lists(lines, max_size=10))
def test_the_neutral_csv_round_trips(written):
    buffer = io.BytesIO()
    write_settlement_csv(written, buffer)
    assert list(read_settlement_csv(io.BytesIO(buffer.getvalue()))) == written


@pytest.mark.parametrize("row, problem", [
    (b"vnpay,PA-1,P1,payment,-5,0,VND,2026-11-21T09:00:00+07:00,2026-11-22", "line 2: amount_minor must be positive"),
    (b"vnpay,PA-1,P1,chargeback,5,0,VND,2026-11-21T09:00:00+07:00,2026-11-22", "line 2: kind 'chargeback'"),
    (b"vnpay,PA-1,P1,payment,5,0,VND,2026-11-21T09:00:00,2026-11-22", "line 2: transacted_at has no UTC offset"),
    (b"vnpay,PA-1,P1,payment,5.5,0,VND,2026-11-21T09:00:00+07:00,2026-11-22", "line 2: invalid literal"),
    (b"vnpay,PA-1,P1,payment,5,0", "line 2: 6 columns"),
])
def test_a_bad_line_is_named(row, problem):
    with pytest.raises(SettlementFormatError, match=problem):
        list(read_settlement_csv(io.BytesIO(HEADER + row)))


def test_a_wrong_header_is_refused():
    with pytest.raises(SettlementFormatError, match="line 1: header"):
        list(read_settlement_csv(io.BytesIO(b"ref,amount\r\n")))


def test_the_net_credit_is_found_by_amount_and_reference():
    found = find_settlement_booking(DATA / "clean_day_statement.xml", provider="vnpay", day=DAY,
                                    net_minor=366_700, currency="VND")
    assert found is not None and found.reference == "FT2632600002" and found.booking_date == date(2026, 11, 22)
    # The right amount for another provider, or another amount, is not the credit.
    assert find_settlement_booking(DATA / "clean_day_statement.xml", provider="momo", day=DAY,
                                   net_minor=366_700, currency="VND") is None
    assert find_settlement_booking(DATA / "short_statement.xml", provider="vnpay", day=DAY,
                                   net_minor=366_700, currency="VND") is None


def test_a_negative_net_is_found_as_the_banks_debit_never_as_a_credit(tmp_path):
    debit = settlement_statement(tmp_path / "debit.xml", DAY, -50_000)
    found = find_settlement_booking(debit, provider="vnpay", day=DAY, net_minor=-50_000, currency="VND")
    assert found is not None and found.amount_minor == 50_000
    assert find_settlement_booking(debit, provider="vnpay", day=DAY, net_minor=50_000, currency="VND") is None
    credit = settlement_statement(tmp_path / "credit.xml", DAY, 50_000)
    assert find_settlement_booking(credit, provider="vnpay", day=DAY, net_minor=-50_000, currency="VND") is None


@pytest.mark.parametrize("text, expected", [
    ("VNPAY TT QUYET TOAN NGAY 20261121", True), ("vnpay settlement 2026-11-21", True),
    ("VNPAY 21/11/2026", True), ("VNPAY 20261120", False), ("MOMO 20261121", False),
])
def test_what_names_a_payout(text, expected):
    assert names_payout(text, "vnpay", datetime(2026, 11, 21).date()) is expected
