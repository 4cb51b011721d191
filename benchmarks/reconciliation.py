"""Nightly reconciliation of one provider's day, end to end: load, match, post, report.

    python -m benchmarks.reconciliation [--quick]

A day of 1,000,000 settlement lines (100,000 with --quick) against as many ledger
payments, 1 % of them discrepant (amount mismatches, lines missing in the ledger,
duplicates, payments missing at the provider). The ledger and the files are made first,
untimed; then the run and its report are timed. Prints one JSON object on its last line
with lines, seconds and peak_rss_mb (this process's peak resident memory; PostgreSQL is
a separate server).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from benchmarks.common import fresh_database, report
from ledger import store as ledger
from ledger.model import AccountSpec, NormalSide
from providers.model import PaymentState, PaymentStatus, SettlementLine
from reconciliation.engine import run_reconciliation
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.postings import payable_account, provider_account_specs
from reconciliation.recovery import Recovery
from reconciliation.reports import build_report, report_json, write_report_csv
from reconciliation.runs import ProviderSetup
from reconciliation.settlement_csv import write_settlement_csv

DAY = date(2026, 11, 21)
SETUP = ProviderSetup(provider="bench", bank="vcb")
AGENCIES = 20
CHUNK = 100_000
DAY_STARTS = datetime.combine(DAY, datetime.min.time(), BUSINESS_TIME_ZONE)


def amount_minor(i: int) -> int:
    return 10_000 + (i % 97) * 1_000


def discrepancy(i: int) -> str | None:
    """One payment in a hundred is discrepant, a quarter of them in each way."""
    return {0: "amount", 25: "ghost", 50: "duplicate", 75: "unsettled"}.get(i % 100)


# The same payments as settlement_lines() describes: one leg each, spread over the day's
# first 23 hours (none inside the carry window), through the ledger's trigger.
BULK_PAYMENTS = """
INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind, external_ref,
                              created_at)
SELECT 'pay:' || g, 'posted', c.id, a.id, 10000 + (g %% 97) * 1000, 'VND', 'payment', 'PA' || g,
       %(day_starts)s + make_interval(secs => (g %% 82800))
  FROM generate_series(%(start)s, %(start)s + %(count)s - 1) g
  JOIN ledger.accounts c ON c.code = 'provider:bench:clearing'
  JOIN ledger.accounts a ON a.code = 'agency:A' || (g %% %(agencies)s) || ':payable'
"""


async def book_ledger(url: str, payments: int) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for spec in provider_account_specs(SETUP):
            await ledger.create_account(conn, spec)
        for agency in range(AGENCIES):
            await ledger.create_account(conn, AccountSpec(code=payable_account(f"A{agency}"), currency="VND",
                                                          normal_side=NormalSide.CREDIT,
                                                          debits_must_not_exceed_credits=True))
        for start in range(0, payments, CHUNK):
            await conn.execute(BULK_PAYMENTS, {"start": start, "count": min(CHUNK, payments - start),
                                               "day_starts": DAY_STARTS, "agencies": AGENCIES})
            print(f"  ledger: {min(start + CHUNK, payments):,} payments", flush=True)
        await conn.execute("VACUUM ANALYZE ledger.transfers")


def settlement_lines(payments: int, net: list[int]):
    """The provider's file, generated as a stream; ``net`` receives what it pays out."""
    moment = (DAY_STARTS + timedelta(hours=12)).astimezone(UTC)
    for i in range(payments):
        kind = discrepancy(i)
        if kind == "unsettled":
            continue
        line = SettlementLine(provider="bench", attempt_ref=f"GHOST{i}" if kind == "ghost" else f"PA{i}",
                              provider_ref=str(90_000_000 + i), kind="payment",
                              amount_minor=amount_minor(i) - (500 if kind == "amount" else 0), fee_minor=110,
                              currency="VND", transacted_at=moment, settlement_date=DAY + timedelta(days=1))
        for _ in range(2 if kind == "duplicate" else 1):
            net[0] += line.amount_minor - line.fee_minor
            yield line


def statement_xml(net_minor: int) -> bytes:
    """The settlement bank's camt.053 with the provider's net credit."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>BENCH1</MsgId><CreDtTm>2026-11-22T06:00:00+07:00</CreDtTm></GrpHdr>
<Stmt><Id>BENCH-STMT</Id><Acct><Id><Othr><Id>0071000123456</Id></Othr></Id><Ccy>VND</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">0</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{net_minor}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>
<Ntry><Amt Ccy="VND">{net_minor}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-22</Dt></BookgDt><AcctSvcrRef>FT-BENCH</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Ustrd>BENCH SETTLEMENT 20261121</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>""".encode()


async def never_heard_of(provider: str, attempt_ref: str) -> PaymentStatus:
    return PaymentStatus(attempt_ref=attempt_ref, state=PaymentState.UNKNOWN)


async def books_nothing(conn, provider: str, attempt_ref: str, status: PaymentStatus) -> None:
    raise AssertionError("no payment is proved paid: nothing is booked")


NEVER_HEARD_OF = Recovery(query_status=never_heard_of, book_paid=books_nothing)


async def reconcile(url: str, settlement: Path, statement: Path) -> dict:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        run = await run_reconciliation(conn, SETUP, DAY, settlement, statement=statement, recovery=NEVER_HEARD_OF)
        day_report = await build_report(conn, DAY)
        write_report_csv(day_report, io.StringIO())
        report_json(day_report)
    assert run.status == "completed", run.status
    return run.counts


async def main(quick: bool) -> dict:
    payments = 100_000 if quick else 1_000_000
    with fresh_database() as url, tempfile.TemporaryDirectory(prefix="publicpay-recon-") as folder:
        await book_ledger(url, payments)
        settlement, statement, net = Path(folder) / "settlement.csv", Path(folder) / "statement.xml", [0]
        with settlement.open("wb") as stream:
            write_settlement_csv(settlement_lines(payments, net), stream)
        statement.write_bytes(statement_xml(net[0]))
        print(f"  files: {settlement.stat().st_size / 1e6:.0f} MB of settlement lines", flush=True)
        started = time.perf_counter()
        counts = await reconcile(url, settlement, statement)
        seconds = time.perf_counter() - started
    print(f"reconciled {counts['lines']:,} lines in {seconds:.1f} s: {counts}", flush=True)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"lines": counts["lines"], "seconds": round(seconds, 2), "peak_rss_mb": round(peak_rss_mb, 1)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 lines instead of 1,000,000")
    report(asyncio.run(main(parser.parse_args().quick)))
