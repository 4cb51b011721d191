"""The real camt.053.001.02 sample (OCA bank-statement-import's test file): the facts
the data README lists, read exactly, and its closing balance reported as not adding up."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reconciliation.camt053 import iter_camt053, parse_camt053
from reconciliation.model import CreditDebit, Entry, Statement, StatementEnd, StatementHeader
from reconciliation.statement_balance import check_balances

SAMPLE = Path("/work/shared/data/camt053/oca-test-camt053.xml")
CRDT, DBIT = CreditDebit.CREDIT, CreditDebit.DEBIT


@pytest.fixture(scope="module")
def statement() -> Statement:
    statements = parse_camt053(SAMPLE)
    assert len(statements) == 1
    return statements[0]


def test_account_currency_and_booked_balances(statement: Statement) -> None:
    header = statement.header
    assert header.version == "camt.053.001.02"
    assert header.message_id == "TESTBANK/NL/1420561226673"
    assert header.statement_id == "1234Test/1"
    assert header.legal_sequence == 2
    assert header.account.iban == "NL77ABNA0574908765"
    assert header.account.servicer_bic == "ABNANL2A"
    assert header.currency == "EUR"
    assert header.opening_booked is not None and header.closing_booked is not None
    assert (header.opening_booked.type_code, header.opening_booked.amount_minor,
            header.opening_booked.credit_debit, header.opening_booked.balance_date) == (
        "OPBD", 1556827, CRDT, date(2013, 1, 5))
    assert (header.closing_booked.type_code, header.closing_booked.amount_minor,
            header.closing_booked.credit_debit, header.closing_booked.balance_date) == (
        "CLBD", 1512112, CRDT, date(2013, 1, 5))


def test_entries(statement: Statement) -> None:
    assert [(e.amount_minor, e.currency, e.credit_debit, e.reversal, e.status, e.booking_date, e.value_date)
            for e in statement.entries] == [
        (75425, "EUR", DBIT, False, "BOOK", date(2013, 1, 5), date(2013, 1, 5)),
        (59405, "EUR", DBIT, True, "BOOK", date(2013, 1, 5), date(2013, 1, 5)),
        (140531, "EUR", CRDT, False, "BOOK", date(2013, 1, 5), date(2013, 1, 5)),
    ]
    assert [e.end_to_end_id for e in statement.entries] == [
        "435005714488-ABNO33052620", "TESTBANK/NL/20141229/01206408", "115"]
    assert [e.remittance_lines for e in statement.entries] == [
        ("Insurance policy 857239PERIOD 01.01.2013 - 31.12.2013",), ("Direct Debit S14 0410",), ()]
    assert [e.counterparty_name for e in statement.entries] == [
        "INSURANCE COMPANY TESTX", "Test Customer", "3rd party Media"]
    assert [e.bank_transaction_code for e in statement.entries] == [
        "PMNT/RDDT/ESDD", "PMNT/IDDT/UPDD", "PMNT/RCDT/ESCT"]


def test_the_reversal_keeps_its_own_amount_and_return_reason(statement: Statement) -> None:
    reversal = statement.entries[1]
    (details,) = reversal.transactions
    # The entry books 594.05; its transaction details say 564.05. The booking is what
    # moved the balance, so the entry's amount is the entry's own.
    assert reversal.amount_minor == 59405
    assert (details.amount_minor, details.currency) == (56405, "EUR")
    assert details.return_reason == "AC06"
    assert details.creditor_account == "NL46ABNA0499998748"


def test_closing_is_not_opening_plus_entries_and_the_check_says_so(statement: Statement) -> None:
    check = check_balances(statement)
    # 15568.27 − 754.25 − 594.05 + 1405.31 = 15625.28, but the bank closes at 15121.12.
    assert check.opening_minor == 1556827
    assert check.booked_net_minor == -75425 - 59405 + 140531 == 5701
    assert check.expected_closing_minor == 1562528
    assert check.closing_minor == 1512112
    assert check.gap_minor == -50416
    assert not check.balanced
    assert check.problems == (
        "closing booked balance 15121.12 EUR is not opening 15568.27 EUR plus booked entries"
        " 57.01 EUR = 15625.28 EUR: a gap of -504.16 EUR",)


def test_stream_yields_header_entries_and_end_with_the_same_check(statement: Statement) -> None:
    items = list(iter_camt053(SAMPLE))
    assert isinstance(items[0], StatementHeader) and items[0] == statement.header
    assert all(isinstance(item, Entry) for item in items[1:-1])
    assert tuple(items[1:-1]) == statement.entries
    end = items[-1]
    assert isinstance(end, StatementEnd)
    assert (end.statement_id, end.entry_count) == ("1234Test/1", 3)
    assert end.check == check_balances(statement)


def test_path_bytes_and_file_object_read_alike(statement: Statement) -> None:
    assert parse_camt053(SAMPLE.read_bytes()) == [statement]
    assert parse_camt053(str(SAMPLE)) == [statement]
    with SAMPLE.open("rb") as file:
        assert parse_camt053(file) == [statement]
        assert not file.closed  # a caller's file object is the caller's to close
