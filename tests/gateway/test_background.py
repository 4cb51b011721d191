"""The pending-transfer expiry job, run as the server runs it."""

import asyncio

from psycopg_pool import AsyncConnectionPool

from functools import partial

from gateway.background import expire_pending, run_every
from ledger import store
from ledger.model import AccountSpec, NormalSide, Transfer


async def test_timed_out_pending_transfers_are_voided_in_the_background(conn, database_url):
    for code in ("a", "b"):
        await store.create_account(conn, AccountSpec(code=code, currency="VND", normal_side=NormalSide.DEBIT))
    await store.post_transfer(conn, Transfer(id="hold", debit_account="a", credit_account="b", amount_minor=500,
                                             currency="VND", kind="refund", pending=True, timeout_s=1))
    stop = asyncio.Event()
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        job = asyncio.create_task(run_every(0.1, partial(expire_pending, pool), "expiry", stop))
        for _ in range(50):
            if await store.get_transfer(conn, "hold/expired"):
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(job, 5)  # stops promptly when asked
    assert (await store.get_transfer(conn, "hold/expired")).phase == "expire_pending"
    assert (await store.get_balance(conn, "a")).debits_pending == 0
