"""camt.053 versions after .02, the rules that pick balances, currency and counterparty,
and refusals that name the element and the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from strategies import CAMT053_VERSIONS, write_camt053

from reconciliation.camt053 import parse_camt053
from reconciliation.camt053_elements import counterparty_name
from reconciliation.errors import StatementFormatError
from reconciliation.model import (
    AccountRef,
    Balance,
    CreditDebit,
    Entry,
    Statement,
    StatementHeader,
    TransactionDetails,
)
from reconciliation.statement_balance import check_balances

CRDT, DBIT = CreditDebit.CREDIT, CreditDebit.DEBIT


def document(version: str, statements: str, group_header: str = "<GrpHdr><MsgId>MSG-1</MsgId></GrpHdr>") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}"><BkToCstmrStmt>'
            f'{group_header}{statements}</BkToCstmrStmt></Document>').encode()


def balance(code: str, amount: str, currency: str = "VND", side: str = "CRDT") -> str:
    return (f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"{currency}\">{amount}</Amt>"
            f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>2024-03-01</Dt></Dt></Bal>")


def statement(body: str, account: str = "<Acct><Id><Othr><Id>0011001932418</Id></Othr></Id><Ccy>VND</Ccy></Acct>",
              statement_id: str = "VCB-20240301") -> str:
    return f"<Stmt><Id>{statement_id}</Id>{account}{body}</Stmt>"


VCB_08 = document("camt.053.001.08", statement(
    balance("OPBD", "1000000") + balance("CLBD", "1390000")
    + """<Ntry><NtryRef>1</NtryRef><Amt Ccy="VND">200000</Amt><CdtDbtInd>CRDT</CdtDbtInd>
      <Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><DtTm>2024-03-01T23:30:00+07:00</DtTm></BookgDt><ValDt><Dt>2024-03-01</Dt></ValDt>
      <AcctSvcrRef>FT24061000001</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls>
        <Refs><AcctSvcrRef>FT24061000001</AcctSvcrRef><EndToEndId>pi_3F8A2</EndToEndId></Refs>
        <Amt Ccy="VND">200000</Amt><CdtDbtInd>CRDT</CdtDbtInd>
        <RltdPties><Dbtr><Pty><Nm>NGUYEN VAN A</Nm></Pty></Dbtr>
          <DbtrAcct><Id><Othr><Id>1234567890</Id></Othr></Id></DbtrAcct></RltdPties>
        <RmtInf><Ustrd>PP pi_3F8A2 le phi ho chieu</Ustrd></RmtInf>
      </TxDtls></NtryDtls></Ntry>
    <Ntry><Amt Ccy="VND">10000</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2024-03-01</Dt></BookgDt><AddtlNtryInf>Phi dich vu</AddtlNtryInf></Ntry>
    <Ntry><Amt Ccy="VND">200000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2024-03-01</Dt></BookgDt>
      <NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>
        <TxDtls><Refs><EndToEndId>pi_A</EndToEndId></Refs><Amt Ccy="VND">150000</Amt></TxDtls>
        <TxDtls><Refs><EndToEndId>pi_B</EndToEndId></Refs><Amt Ccy="VND">50000</Amt></TxDtls>
      </NtryDtls></Ntry>
    <Ntry><Amt Ccy="VND">5000000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts></Ntry>"""))


def test_version_08_reads_the_08_spellings() -> None:
    (parsed,) = parse_camt053(VCB_08)
    header = parsed.header
    assert header.version == "camt.053.001.08"
    assert (header.account.iban, header.account.other_id, header.currency) == (None, "0011001932418", "VND")
    first, fee, batch, pending = parsed.entries
    assert (first.amount_minor, first.status, first.bank_ref, first.entry_ref) == (200000, "BOOK", "FT24061000001", "1")
    assert first.booking_date == date(2024, 3, 1)  # the date in the entry's own zone, +07:00
    assert first.bank_transaction_code == "PMNT/RCDT/DMCT"
    assert (first.end_to_end_id, first.counterparty_name, first.remittance_lines) == (
        "pi_3F8A2", "NGUYEN VAN A", ("PP pi_3F8A2 le phi ho chieu",))
    assert first.transactions[0].debtor_account == "1234567890"
    assert first.transactions[0].account_servicer_ref == "FT24061000001"
    assert (fee.credit_debit, fee.additional_info, fee.transactions) == (DBIT, "Phi dich vu", ())
    # A batch: no single reference stands for the whole booking.
    assert (batch.end_to_end_id, batch.counterparty_name, batch.remittance_lines) == (None, None, ())
    assert [(t.end_to_end_id, t.amount_minor) for t in batch.transactions] == [("pi_A", 150000), ("pi_B", 50000)]
    assert pending.status == "PDNG"


def test_pending_entries_do_not_count_towards_the_booked_balance() -> None:
    (parsed,) = parse_camt053(VCB_08)
    check = check_balances(parsed)
    assert (check.booked_entries, check.unbooked_entries, check.booked_net_minor) == (3, 1, 390000)
    assert check.balanced and check.gap_minor == 0


def test_version_04_text_status_bicfi_and_txamt() -> None:
    xml = document("camt.053.001.04", statement(
        balance("PRCD", "10.00", "EUR") + balance("CLBD", "12.50", "EUR")
        + """<Ntry><Amt Ccy="EUR">2.50</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
               <NtryDtls><TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">2.50</Amt></TxAmt></AmtDtls>
               <RltdPties><Dbtr><Nm>Jan</Nm></Dbtr><Cdtr><Nm>Us</Nm></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>""",
        account='<Acct><Id><IBAN>NL77ABNA0574908765</IBAN></Id><Svcr><FinInstnId><BICFI>ABNANL2A</BICFI>'
                '</FinInstnId></Svcr></Acct>'))
    (parsed,) = parse_camt053(xml)
    header = parsed.header
    assert header.account.servicer_bic == "ABNANL2A"
    assert header.currency == "EUR"  # no Acct/Ccy: the balances' currency
    assert header.opening_booked is not None and header.opening_booked.type_code == "PRCD"
    (entry,) = parsed.entries
    assert (entry.status, entry.counterparty_name, entry.transactions[0].amount_minor) == ("BOOK", "Jan", 250)
    assert check_balances(parsed).balanced


@pytest.mark.parametrize("version", CAMT053_VERSIONS)
def test_generated_statement_of_each_version_reads_back(version: str) -> None:
    tx = TransactionDetails(end_to_end_id="pi_1", amount_minor=1999, currency="USD", debtor_name="ACME",
                            debtor_account="DE89370400440532013000", remittance_lines=("invoice 7", "thanks"))
    entry = Entry(amount_minor=1999, currency="USD", credit_debit=CRDT, reversal=False, status="BOOK",
                  booking_date=date(2024, 2, 29), value_date=date(2024, 3, 1), bank_ref="B-1",
                  bank_transaction_code="PMNT/RCDT/ESCT", end_to_end_id="pi_1",
                  remittance_lines=("invoice 7", "thanks"), counterparty_name="ACME", transactions=(tx,))
    opening = Balance(type_code="OPBD", amount_minor=1, currency="USD", credit_debit=DBIT, balance_date=date(2024, 2, 28))
    closing = Balance(type_code="CLBD", amount_minor=1998, currency="USD", credit_debit=CRDT, balance_date=date(2024, 3, 1))
    header = StatementHeader(
        version=version, message_id="M-1", statement_id="S-1",
        created_at=datetime(2024, 3, 2, 1, 0, tzinfo=timezone(timedelta(hours=7))),
        from_datetime=datetime(2024, 3, 1, tzinfo=UTC), to_datetime=None, electronic_sequence=7, legal_sequence=None,
        account=AccountRef(other_id="12345", currency="USD", owner_name="Cong thong tin", servicer_bic="BFTVVNVX"),
        currency="USD", opening_booked=opening, closing_booked=closing, balances=(opening, closing))
    written = Statement(header=header, entries=(entry,))
    assert parse_camt053(write_camt053([written])) == [written]
    assert check_balances(written).balanced  # −0.01 + 19.99 = 19.98


def test_several_statements_in_one_document() -> None:
    xml = document("camt.053.001.06", statement(balance("OPBD", "5") + balance("CLBD", "5"), statement_id="A")
                   + statement(balance("OPBD", "5") + balance("CLBD", "7")
                               + '<Ntry><Amt Ccy="VND">2</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>',
                               statement_id="B"))
    first, second = parse_camt053(xml)
    assert (first.header.statement_id, len(first.entries), second.header.statement_id, len(second.entries)) == (
        "A", 0, "B", 1)
    assert check_balances(first).balanced and check_balances(second).balanced


def test_missing_balances_and_foreign_entries_are_reported() -> None:
    xml = document("camt.053.001.02", statement(
        '<Ntry><Amt Ccy="USD">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>'))
    check = check_balances(parse_camt053(xml)[0])
    assert not check.balanced and check.gap_minor is None
    assert check.problems == ("no opening booked balance", "no closing booked balance",
                              "1 entries not in VND were left out of the sum")


@pytest.mark.parametrize(("side", "reversal", "expected"), [
    (CRDT, False, "payer"), (DBIT, False, "payee"), (DBIT, True, "payer"), (CRDT, True, "payee")])
def test_counterparty_is_the_other_side(side: CreditDebit, reversal: bool, expected: str) -> None:
    assert counterparty_name(side, reversal, debtor="payer", creditor="payee") == expected
    # ... and the one party given stands in when the other is missing.
    assert counterparty_name(side, reversal, debtor=None, creditor="payee") == "payee"


ENTRY = '<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>'
ACCOUNT = "<Acct><Id><IBAN>NL77ABNA0574908765</IBAN></Id><Ccy>EUR</Ccy></Acct>"


@pytest.mark.parametrize(("xml", "element", "reason"), [
    (document("camt.053.001.02", statement(ENTRY + ENTRY.replace("1.00", "1.005"), ACCOUNT)),
     "Stmt[1]/Ntry[2]/Amt", "3 decimal places but EUR allows 2"),
    (document("camt.053.001.02", statement(ENTRY.replace("CRDT", "CREDIT"), ACCOUNT)),
     "Stmt[1]/Ntry[1]/CdtDbtInd", "is 'CREDIT', expected CRDT or DBIT"),
    (document("camt.053.001.02", statement(ENTRY.replace(' Ccy="EUR"', ""), ACCOUNT)),
     "Stmt[1]/Ntry[1]/Amt", "has no Ccy attribute"),
    (document("camt.053.001.02", statement(ENTRY.replace('<Amt Ccy="EUR">1.00</Amt>', ""), ACCOUNT)),
     "Stmt[1]/Ntry[1]/Amt", "is missing"),
    (document("camt.053.001.02", statement(ENTRY.replace("<Sts>BOOK</Sts>", ""), ACCOUNT)),
     "Stmt[1]/Ntry[1]/Sts", "is missing"),
    (document("camt.053.001.02", statement(ENTRY.replace("</Sts>", "</Sts><BookgDt><Dt>2024-02-30</Dt></BookgDt>"), ACCOUNT)),
     "Stmt[1]/Ntry[1]/BookgDt/Dt", "'2024-02-30' is not an ISO date"),
    (document("camt.053.001.02", statement(ENTRY.replace("</Sts>", "</Sts><RvslInd>yes</RvslInd>"), ACCOUNT)),
     "Stmt[1]/Ntry[1]/RvslInd", "'yes' is not a boolean"),
    (document("camt.053.001.02", statement(ENTRY, "<Acct><Id><Othr/></Id></Acct>")),
     "Stmt[1]/Acct/Id", "has neither IBAN nor Othr/Id"),
    (document("camt.053.001.02", statement(ENTRY, "")), "Stmt[1]/Acct", "is missing"),
    (document("camt.053.001.02", "<Stmt>" + ACCOUNT + ENTRY + "</Stmt>"), "Stmt[1]/Id", "is missing or empty"),
    (document("camt.053.001.02", statement(balance("OPBD", "1") + balance("OPBD", "2"), ACCOUNT)),
     "Stmt[1]/Bal", "2 balances of type OPBD"),
    (document("camt.053.001.02", statement(balance("OPBD", "1").replace("<Cd>OPBD</Cd>", ""), ACCOUNT)),
     "Stmt[1]/Bal[1]/Tp/CdOrPrtry", "has neither Cd nor Prtry"),
    (document("camt.053.001.02", statement("<CreDtTm>yesterday</CreDtTm>" + ACCOUNT)),
     "Stmt[1]/CreDtTm", "'yesterday' is not a valid date and time"),
    (document("camt.053.001.02", statement("", "<Acct><Id><IBAN>NL77ABNA0574908765</IBAN></Id></Acct>")),
     "Stmt[1]/Acct/Ccy", "no balance or entry shows the currency"),
    (document("camt.053.001.02", ""), "BkToCstmrStmt", "the document has no Stmt"),
    (document("camt.053.001.02", "<Rpt>" + statement(ENTRY, ACCOUNT) + "</Rpt>"), "Stmt[1]", "Stmt outside BkToCstmrStmt"),
    (document("camt.052.001.02", statement(ENTRY, ACCOUNT)), "Document", "expected a camt.053 Document"),
    (document("camt.053.001.01", statement(ENTRY, ACCOUNT)), "Document", "camt.053.001.01 is not supported"),
    (b"<Document><BkToCstmrStmt/></Document>", "Document", "expected a camt.053 Document"),
    (b'<Invoice xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "Invoice", "expected a camt.053 Document"),
])
def test_refusals_name_the_element_and_the_reason(xml: bytes, element: str, reason: str) -> None:
    with pytest.raises(StatementFormatError) as caught:
        parse_camt053(xml)
    assert caught.value.element == element
    assert reason in caught.value.reason
    assert str(caught.value).startswith(element)


@pytest.mark.parametrize(("xml", "reason"), [
    (b"", "the document is empty"),
    (b"<?xml version='1.0'?>\n<!-- only a comment -->", "not well-formed XML"),
    (b"not xml at all", "not well-formed XML"),
    (document("camt.053.001.02", statement(ENTRY + "<Ntry>", ACCOUNT)), "not well-formed XML"),
    (document("camt.053.001.02", statement(ENTRY, ACCOUNT))[:-20], "not well-formed XML"),
])
def test_malformed_xml_is_refused_with_the_parser_reason(xml: bytes, reason: str) -> None:
    with pytest.raises(StatementFormatError, match=reason):
        parse_camt053(xml)


def test_malformed_xml_names_the_line() -> None:
    xml = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">\n<BkToCstmrStmt>\n<Stmt>\n</Document>'
    with pytest.raises(StatementFormatError) as caught:
        parse_camt053(xml)
    assert caught.value.line == 4
