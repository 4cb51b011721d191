"""Many connections moving money between a few accounts at once, limits at their edge."""

import asyncio
import random

import psycopg
import pytest

from ledger import store
from ledger.errors import TransferRejected
from ledger.model import AccountSpec, NormalSide, PostPending, Transfer, VoidPending

CLIENTS = 24
TRANSFERS_PER_CLIENT = 60


@pytest.fixture
async def accounts(conn):
    specs = [
        AccountSpec(code="clearing", currency="VND", normal_side=NormalSide.DEBIT),
        AccountSpec(code="hot:payable", currency="VND", normal_side=NormalSide.CREDIT),
        *[AccountSpec(code=f"limited:{i}", currency="VND", normal_side=NormalSide.CREDIT,
                      debits_must_not_exceed_credits=True) for i in range(3)],
        AccountSpec(code="contra", currency="VND", normal_side=NormalSide.DEBIT, credits_must_not_exceed_debits=True),
    ]
    for spec in specs:
        await store.create_account(conn, spec)
    # Each limited account starts with exactly what the clients will try to take, and more.
    for i in range(3):
        await store.post_transfer(conn, Transfer(id=f"fund:{i}", debit_account="clearing", credit_account=f"limited:{i}",
                                                 amount_minor=1_000, currency="VND", kind="funding"))
    return [spec.code for spec in specs]


async def client(url: str, number: int, codes: list[str]) -> tuple[int, int]:
    rng = random.Random(number)
    created = refused = 0
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for i in range(TRANSFERS_PER_CLIENT):
            id_ = f"c{number}-{i}"
            debit, credit = rng.sample(codes, 2)
            request = Transfer(id=id_, debit_account=debit, credit_account=credit, amount_minor=rng.randint(1, 60),
                               currency="VND", kind="load", pending=rng.random() < 0.2)
            try:
                await store.post_transfer(conn, request)
                created += 1
                if request.pending:
                    resolution = PostPending if rng.random() < 0.5 else VoidPending
                    await store.post_transfer(conn, resolution(id=f"{id_}/r", pending_id=id_))
            except TransferRejected as exc:
                assert exc.code in ("exceeds_credits", "exceeds_debits"), exc
                refused += 1
    return created, refused


async def test_concurrent_transfers_keep_every_invariant(database_url, conn, accounts):
    outcomes = await asyncio.gather(*(client(database_url, n, accounts) for n in range(CLIENTS)))
    created = sum(c for c, _ in outcomes)
    refused = sum(r for _, r in outcomes)
    assert created + refused == CLIENTS * TRANSFERS_PER_CLIENT
    assert refused > 0, "the limits were never tested at their edge"
    assert await store.verify_ledger(conn) == []  # balances equal history; no limit crossed
    stored = (await (await conn.execute("SELECT count(*) FROM ledger.transfers WHERE kind = 'load'")).fetchone())[0]
    resolutions = (await (await conn.execute(
        "SELECT count(*) FROM ledger.transfers WHERE phase IN ('post_pending', 'void_pending')")).fetchone())[0]
    assert stored == created + resolutions
    for code in accounts:
        balance = await store.get_balance(conn, code)
        assert balance.debits_pending == balance.credits_pending == 0


async def test_the_same_transfer_sent_by_many_clients_at_once_posts_once(database_url, conn, accounts):
    request = Transfer(id="dup", debit_account="clearing", credit_account="hot:payable", amount_minor=77,
                       currency="VND", kind="payment")

    async def send():
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as own:
            return (await store.post_transfer(own, request)).code

    codes = await asyncio.gather(*(send() for _ in range(CLIENTS)))
    assert sorted(codes) == ["created"] + ["exists"] * (CLIENTS - 1)
    assert (await store.get_balance(conn, "hot:payable")).credits_posted == 77
