"""The ledger side of the golden days, booked the way the gateway books payments, and a
fake provider that answers status queries, with a fake gateway that books what it proves.

Payments are inserted straight into ledger.transfers (through the ledger's trigger, which
keeps every balance rule) because only an INSERT can give them a ``created_at`` on the
golden business day; refunds go through the ledger's API, as the gateway posts them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from ledger import store as ledger
from ledger.model import AccountSpec, NormalSide, PostPending, Transfer
from providers.model import PaymentState, PaymentStatus, SettlementLine
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.postings import clearing_account, payable_account, provider_account_specs
from reconciliation.recovery import Recovered, Recovery, RefusedAttempt
from reconciliation.runs import ProviderSetup
from reconciliation.settlement_csv import write_settlement_csv

DATA = Path(__file__).parent.parent / "data" / "reconciliation"
DAY = date(2026, 11, 21)
SETUP = ProviderSetup(provider="vnpay", bank="vcb")
AGENCIES = ("MOJ", "MOH")


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), BUSINESS_TIME_ZONE)


def settlement_file(path: Path, day: date, lines: list[tuple[str, str, int, datetime]]) -> Path:
    """The provider's file for ``day`` in the neutral CSV: each (attempt_ref, kind,
    amount_minor, transacted_at), without fees, paid out the next day."""
    with path.open("wb") as stream:
        write_settlement_csv([SettlementLine(provider="vnpay", attempt_ref=ref, provider_ref=f"V{ref}", kind=kind,
                                             amount_minor=amount, fee_minor=0, currency="VND", transacted_at=moment,
                                             settlement_date=day + timedelta(days=1))
                              for ref, kind, amount, moment in lines], stream)
    return path


def settlement_statement(path: Path, day: date, net_minor: int) -> Path:
    """The settlement bank's camt.053 with VNPAY's net settlement for ``day``, booked the
    next day: a credit, or a debit when the day's refunds outweighed its payments."""
    booked = (day + timedelta(days=1)).isoformat()
    side = "CRDT" if net_minor >= 0 else "DBIT"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>VCB{day:%Y%m%d}</MsgId><CreDtTm>{booked}T06:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>VCB-{day:%Y%m%d}</Id><Acct><Id><Othr><Id>0071000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">0</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{abs(net_minor)}</Amt><CdtDbtInd>{side}</CdtDbtInd></Bal>
<Ntry><Amt Ccy="VND">{abs(net_minor)}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>{booked}</Dt></BookgDt><AcctSvcrRef>FT{day:%Y%m%d}</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Ustrd>VNPAY TT QUYET TOAN NGAY {day:%Y%m%d}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""", encoding="utf-8")
    return path


async def open_books(conn, setup: ProviderSetup = SETUP, agencies=AGENCIES) -> None:
    for spec in provider_account_specs(setup):
        await ledger.create_account(conn, spec)
    for agency in agencies:
        await ledger.create_account(conn, AccountSpec(code=payable_account(agency), currency=setup.currency,
                                                      normal_side=NormalSide.CREDIT,
                                                      debits_must_not_exceed_credits=True))


BOOK_PAYMENTS = """
INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind, external_ref,
                              created_at)
SELECT 'pay:' || %(provider)s || ':' || b.ref || ':' || b.agency, 'posted', c.id, a.id, b.amount, 'VND', 'payment', b.ref, b.at
  FROM unnest(%(refs)s::text[], %(agencies)s::text[], %(amounts)s::bigint[], %(ats)s::timestamptz[])
       AS b (ref, agency, amount, at)
  JOIN ledger.accounts c ON c.code = 'provider:' || %(provider)s || ':clearing'
  JOIN ledger.accounts a ON a.code = 'agency:' || b.agency || ':payable'
"""


async def book_payments(conn, legs: list[tuple[str, str, int, datetime]], provider: str = "vnpay") -> None:
    """Each (attempt_ref, agency, amount_minor, booked_at) as a payment transfer; a split
    payment is several legs with one reference."""
    if legs:
        refs, agencies, amounts, ats = map(list, zip(*legs))
        await conn.execute(BOOK_PAYMENTS, {"refs": refs, "agencies": agencies, "amounts": amounts, "ats": ats,
                                           "provider": provider})


async def book_refund(conn, refund_ref: str, agency: str, amount_minor: int, provider: str = "vnpay") -> None:
    await ledger.post_transfer(conn, Transfer(
        id=f"refund:{refund_ref}", debit_account=payable_account(agency), credit_account=f"provider:{provider}:clearing",
        amount_minor=amount_minor, currency="VND", kind="refund", pending=True, external_ref=refund_ref))
    await ledger.post_transfer(conn, PostPending(id=f"refund:{refund_ref}:posted", pending_id=f"refund:{refund_ref}",
                                                 external_ref=refund_ref))


async def book_clean_day(conn) -> None:
    await open_books(conn)
    await book_payments(conn, [("PA-001", "MOJ", 200_000, at(9)), ("PA-002", "MOJ", 150_000, at(10)),
                               ("PA-002", "MOH", 50_000, at(10))])
    await book_refund(conn, "RF-001", "MOJ", 30_000)


async def book_every_class_day(conn) -> None:
    await open_books(conn)
    await book_payments(conn, [
        ("PA-101", "MOJ", 200_000, at(9)), ("PA-102", "MOJ", 150_000, at(10)), ("PA-102", "MOH", 50_000, at(10)),
        ("PA-103", "MOH", 120_000, at(11)), ("PA-104", "MOJ", 80_000, at(12)), ("PA-107", "MOH", 60_000, at(14)),
        ("PA-108", "MOJ", 90_000, at(23, 50)), ("PA-109", "MOJ", 100_000, at(15)),
        ("PA-110", "MOH", 100_000, at(23, 45, DAY - timedelta(days=1))),
    ])
    await book_refund(conn, "RF-101", "MOJ", 30_000)


class FakeProvider:
    """Answers status queries as a provider would: paid for what it was told was paid,
    never heard of anything else. Counts the questions.

    Stands in for the gateway too: ``attempts`` maps the references the gateway issued to
    the agency they pay, and a proved payment of one of them is booked as the gateway books
    it (clearing to the agency's payable account, once); any other reference is not ours."""

    def __init__(self, paid: dict[str, int] | None = None, attempts: dict[str, str] | None = None,
                 refused: dict[str, int] | None = None) -> None:
        self.paid = paid or {}
        self.attempts = {ref: "MOH" for ref in self.paid} if attempts is None else attempts
        self.refused = refused or {}  # the gateway refused these references' payments: what each asked
        self.asked: list[str] = []

    @property
    def recovery(self) -> Recovery:
        return Recovery(query_status=self.query_status, book_paid=self.book_paid,
                        refused_attempts=self.refused_attempts)

    async def refused_attempts(self, conn, provider: str, attempt_refs) -> dict[str, RefusedAttempt]:
        return {ref: RefusedAttempt(attempt_ref=ref, intent_id=f"pi_{ref}", status="pending", flag="amount_mismatch",
                                    amount_minor=self.refused[ref], currency="VND", created_at=at(13))
                for ref in attempt_refs if ref in self.refused}

    async def query_status(self, provider: str, attempt_ref: str) -> PaymentStatus:
        self.asked.append(attempt_ref)
        if attempt_ref in self.paid:
            return PaymentStatus(attempt_ref=attempt_ref, state=PaymentState.SUCCEEDED, provider_ref=f"P{attempt_ref}",
                                 amount_minor=self.paid[attempt_ref], currency="VND", paid_at=at(12, 30))
        return PaymentStatus(attempt_ref=attempt_ref, state=PaymentState.UNKNOWN)

    async def book_paid(self, conn, provider: str, attempt_ref: str, status: PaymentStatus) -> Recovered | None:
        if attempt_ref not in self.attempts:
            return None
        transfer = Transfer(id=f"payment:{attempt_ref}:0", debit_account=clearing_account(provider),
                            credit_account=payable_account(self.attempts[attempt_ref]),
                            amount_minor=status.amount_minor, currency=status.currency, kind="payment",
                            external_ref=attempt_ref)
        result = await ledger.post_transfer(conn, transfer)
        return Recovered(transfer_ids=(transfer.id,), booked_now=result.code == "created")
