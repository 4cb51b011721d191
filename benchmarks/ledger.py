"""Ledger throughput and balance-read latency on this machine.

    python -m benchmarks.ledger [--quick]

Prints progress, then one JSON object on its last line with single_spread_tps,
single_hot_tps, batch_tps and balance_read_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import time

import psycopg

from benchmarks.common import fresh_database, report
from ledger import store
from ledger.model import AccountSpec, NormalSide, Transfer

CLIENTS = 20
SPREAD_ACCOUNTS = 50
BATCH_SIZE = 1_000
BATCH_CLIENTS = 2
HISTORY_TRANSFERS = 1_000_000


async def create_accounts(url: str) -> list[str]:
    codes = [f"bench:{i}" for i in range(SPREAD_ACCOUNTS)]
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for code in codes:
            await store.create_account(conn, AccountSpec(code=code, currency="VND", normal_side=NormalSide.DEBIT))
        await store.create_account(conn, AccountSpec(code="provider:bench:clearing", currency="VND", normal_side=NormalSide.DEBIT))
        await store.create_account(conn, AccountSpec(code="agency:BENCH:payable", currency="VND", normal_side=NormalSide.CREDIT))
    return codes


async def settle(url: str) -> None:
    """Start each measurement from the same state: no vacuum owed from the last one."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("VACUUM ANALYZE")


async def run_clients(url: str, clients: int, seconds: float, make_batch) -> float:
    """Transfers per second that ``clients`` connections achieve, each posting make_batch() in a loop."""
    await settle(url)
    connections = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(clients)]
    posted = 0
    deadline = time.perf_counter() + seconds

    async def loop(conn):
        nonlocal posted
        while time.perf_counter() < deadline:
            batch = make_batch()
            if len(batch) == 1:
                await store.post_transfer(conn, batch[0])
            else:
                results = await store.post_transfers(conn, batch, linked=True)
                assert all(r.code == "created" for r in results)
            posted += len(batch)

    started = time.perf_counter()
    await asyncio.gather(*(loop(conn) for conn in connections))
    elapsed = time.perf_counter() - started
    for conn in connections:
        await conn.close()
    return posted / elapsed


def transfer_factory(prefix: str, pick):
    ids = itertools.count()

    def make(size: int = 1) -> list[Transfer]:
        batch = []
        for _ in range(size):
            debit, credit = pick()
            batch.append(Transfer(id=f"{prefix}{next(ids)}", debit_account=debit, credit_account=credit,
                                  amount_minor=random.randint(1, 500_000), currency="VND", kind="bench"))
        return batch

    return make


async def balance_read_ms(url: str, history: int) -> float:
    """Median time to read the balance of an account with ``history`` transfers behind it."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await store.create_account(conn, AccountSpec(code="deep", currency="VND", normal_side=NormalSide.DEBIT))
        chunk = 100_000
        for start in range(0, history, chunk):
            # History made in bulk through the same trigger; the shape of a long-lived account.
            await conn.execute(BULK_HISTORY, {"start": start, "count": min(chunk, history - start)})
            print(f"  history: {min(start + chunk, history):,} transfers", flush=True)
        await conn.execute("VACUUM ANALYZE ledger.transfers")
        timings = []
        for _ in range(300):
            started = time.perf_counter()
            balance = await store.get_balance(conn, "deep")
            timings.append((time.perf_counter() - started) * 1000)
        assert balance.debits_posted == history
    return statistics.median(timings)


BULK_HISTORY = """
INSERT INTO ledger.transfers (id, phase, debit_account_id, credit_account_id, amount, currency, kind)
SELECT 'deep:' || g, 'posted', d.id, c.id, 1, 'VND', 'bench'
  FROM generate_series(%(start)s, %(start)s + %(count)s - 1) g,
       ledger.accounts d, ledger.accounts c
 WHERE d.code = 'deep' AND c.code = 'bench:0'
"""


async def main(quick: bool) -> dict:
    seconds = 5 if quick else 20
    with fresh_database() as url:
        codes = await create_accounts(url)
        spread = transfer_factory("s", lambda: random.sample(codes, 2))
        hot = transfer_factory("h", lambda: ("provider:bench:clearing", "agency:BENCH:payable"))
        batch = transfer_factory("b", lambda: random.sample(codes, 2))
        figures = {}
        figures["single_spread_tps"] = round(await run_clients(url, CLIENTS, seconds, spread))
        print(f"single transfers, {CLIENTS} clients, {SPREAD_ACCOUNTS} accounts: {figures['single_spread_tps']}/s", flush=True)
        figures["single_hot_tps"] = round(await run_clients(url, CLIENTS, seconds, hot))
        print(f"single transfers, {CLIENTS} clients, one hot pair: {figures['single_hot_tps']}/s", flush=True)
        figures["batch_tps"] = round(await run_clients(url, BATCH_CLIENTS, seconds, lambda: batch(BATCH_SIZE)))
        print(f"batches of {BATCH_SIZE}, {BATCH_CLIENTS} clients: {figures['batch_tps']}/s", flush=True)
        figures["balance_read_ms"] = round(await balance_read_ms(url, HISTORY_TRANSFERS), 3)
        print(f"balance read with {HISTORY_TRANSFERS:,} transfers of history: {figures['balance_read_ms']} ms", flush=True)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs (under a minute)")
    report(asyncio.run(main(parser.parse_args().quick)))
