"""A 100,000-line day, generated deterministically the way the benchmark generates its
million: 1 % discrepant, reconciled end to end with the expected count of every class."""

from __future__ import annotations

import psycopg

from benchmarks.reconciliation import DAY, SETUP, book_ledger, NEVER_HEARD_OF, settlement_lines, statement_xml
from ledger import store as ledger
from reconciliation.engine import run_reconciliation
from reconciliation.settlement_csv import write_settlement_csv

PAYMENTS = 100_000


async def test_a_hundred_thousand_line_day(database_url, tmp_path):
    await book_ledger(database_url, PAYMENTS)
    settlement, statement, net = tmp_path / "settlement.csv", tmp_path / "statement.xml", [0]
    with settlement.open("wb") as stream:
        write_settlement_csv(settlement_lines(PAYMENTS, net), stream)
    statement.write_bytes(statement_xml(net[0]))
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        run = await run_reconciliation(conn, SETUP, DAY, settlement, statement=statement, recovery=NEVER_HEARD_OF)
        assert run.status == "completed" and run.totals["net_settlement_minor"] == net[0]
        assert run.counts == {"lines": 100_000, "matched": 97_000, "amount_mismatch": 1_000, "duplicate_in_file": 1_000,
                              "missing_in_ledger": 1_000, "missing_at_provider": 2_000, "recovered": 0}
        assert (await ledger.get_balance(conn, "bank:vcb:settlement")).posted == net[0]
        remitted = [(await ledger.get_balance(conn, f"treasury:A{agency}")).posted for agency in range(20)]
        assert run.totals["remitted_minor"] == sum(remitted) > 0
