"""The console reads the ledger through the ledger's own store: its balances page lists
what ledger.store.list_account_balances reads, which agrees with each account's balance,
and no SQL of the console's names the ledger's tables."""

from __future__ import annotations

import re
from pathlib import Path

import gateway.console
from ledger import store as ledger
from tests.reconciliation.golden_books import book_every_class_day

CONSOLE = Path(gateway.console.__file__).parent
LEDGER_TABLE = re.compile(r"\bledger\.(accounts|transfers|balance_slots)\b")


async def test_every_account_is_listed_with_its_balance_and_whether_it_is_closed(conn):
    await book_every_class_day(conn)
    await ledger.set_account_closed(conn, "agency:MOH:payable")
    listed = await ledger.list_account_balances(conn)
    codes = [line.account for line in listed]
    assert codes == sorted(codes, key=lambda code: (code.split(":")[0], code))
    one_by_one = await ledger.list_balances(conn, codes)
    for line in listed:
        balance = one_by_one[line.account]
        assert (line.posted, line.debits_pending, line.credits_pending, line.currency) == (
            balance.posted, balance.debits_pending, balance.credits_pending, balance.currency)
        assert line.closed is (line.account == "agency:MOH:payable")
    assert {line.account: line.posted for line in listed}["provider:vnpay:clearing"] == 920_000


def test_the_console_has_no_sql_of_its_own_over_the_ledger():
    sources = [*CONSOLE.rglob("*.py"), *CONSOLE.rglob("*.sql")]
    assert sources
    assert [str(path.relative_to(CONSOLE)) for path in sources if LEDGER_TABLE.search(path.read_text())] == []
