"""Accounts with a limit flag spread their other side over all their slots: one created with
a single slot before ledger/0002 gets the default slots, keeps its balance, and then takes
payments into several slots while its limit still holds."""

import psycopg
import pytest

from gateway.migrations import discover_migrations, migrate
from ledger import store
from ledger.errors import TransferRejected
from ledger.model import Transfer

ACCOUNTS = """
INSERT INTO ledger.accounts (code, currency, normal_side, debits_must_not_exceed_credits, slot_count)
VALUES ('agency:BCA:payable', 'VND', 'credit', true, 1), ('provider:card:clearing', 'VND', 'debit', false, 16)
"""


def payment(number: int, amount: int = 100_000) -> Transfer:
    return Transfer(id=f"payment:{number}", debit_account="provider:card:clearing", credit_account="agency:BCA:payable",
                    amount_minor=amount, currency="VND", kind="payment")


async def test_a_one_slot_limited_account_is_spread_and_keeps_its_balance_and_limit(empty_database_url):
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        migrate(conn, [m for m in discover_migrations() if m.label == "ledger/0001_ledger"])
        conn.execute(ACCOUNTS)
    async with await psycopg.AsyncConnection.connect(empty_database_url, autocommit=True) as conn:
        await store.post_transfer(conn, payment(0))
    with psycopg.connect(empty_database_url, autocommit=True) as conn:
        migrate(conn)
        slots = conn.execute("SELECT a.slot_count, count(b.slot) FROM ledger.accounts a JOIN ledger.balance_slots b"
                             " ON b.account_id = a.id WHERE a.code = 'agency:BCA:payable' GROUP BY a.slot_count").fetchone()
    assert slots == (16, 16)
    async with await psycopg.AsyncConnection.connect(empty_database_url, autocommit=True) as conn:
        assert (await store.get_balance(conn, "agency:BCA:payable")).credits_posted == 100_000
        for number in range(1, 4):  # one transaction each: each lands in the slot of its own id
            await store.post_transfer(conn, payment(number))
        used = (await (await conn.execute(
            "SELECT count(*) FROM ledger.balance_slots b JOIN ledger.accounts a ON a.id = b.account_id"
            " WHERE a.code = 'agency:BCA:payable' AND b.credits_posted > 0")).fetchone())[0]
        assert used > 1
        with pytest.raises(TransferRejected) as refused:  # the limit sums every slot's credits
            await store.post_transfer(conn, Transfer(id="refund:too-much", debit_account="agency:BCA:payable",
                                                     credit_account="provider:card:clearing", amount_minor=400_001,
                                                     currency="VND", kind="refund"))
        assert refused.value.code == "exceeds_credits"
        await store.post_transfer(conn, Transfer(id="refund:all", debit_account="agency:BCA:payable",
                                                 credit_account="provider:card:clearing", amount_minor=400_000,
                                                 currency="VND", kind="refund"))
        assert await store.verify_ledger(conn) == []
