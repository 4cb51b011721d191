"""Creates' first tries sent at once by one process are committed in one transaction (group
commit): each exactly as it would have been alone, and a batch that fails in part (a key
another request holds, a refused write) is tried create by create instead."""

import asyncio

from psycopg_pool import AsyncConnectionPool

from gateway.idempotency.group_commit import FirstTry, first_tries
from gateway.idempotency.store import begin_with_key, roll_back
from tests.gateway.test_idempotency_store import FINGERPRINT, OK, api_key_id, count, new_api_key_row, other

__all__ = ["api_key_id", "other"]  # fixtures


def try_for(api_key_id: int, key: str, secret_byte: int) -> FirstTry:
    return FirstTry(api_key_id, key, FINGERPRINT, new_api_key_row(bytes([secret_byte]) * 32), OK)


async def commit_at_once(database_url: str, tries: list[FirstTry]) -> list:
    """Each try's outcome, or the exception it got."""
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        batches = first_tries(pool)
        return await asyncio.gather(*(batches(each) for each in tries), return_exceptions=True)


async def transactions_of(conn, keys: list[str]) -> set[str]:
    """The transactions that wrote these keys' rows."""
    rows = await conn.execute("SELECT xmin::text FROM gateway.idempotency_keys WHERE key = ANY(%s)", (keys,))
    return {xmin for (xmin,) in await rows.fetchall()}


async def test_tries_sent_at_once_are_committed_in_one_transaction(conn, database_url, api_key_id):
    keys = [f"k{n}" for n in range(5)]
    outcomes = await commit_at_once(database_url, [try_for(api_key_id, key, 10 + n) for n, key in enumerate(keys)])
    assert outcomes == [True] * 5
    assert await count(conn, "gateway.api_keys") == 1 + 5
    assert len(await transactions_of(conn, keys)) == 1
    assert await begin_with_key(conn, api_key_id, "k3", FINGERPRINT) == OK  # stored, replayed


async def test_a_key_another_request_holds_fails_the_batch_and_only_itself(conn, database_url, other, api_key_id):
    assert await begin_with_key(other, api_key_id, "k1", FINGERPRINT) is None  # its bracket holds k1
    keys = ["k0", "k1", "k2", "k3"]
    outcomes = await commit_at_once(database_url, [try_for(api_key_id, key, 10 + n) for n, key in enumerate(keys)])
    await roll_back(other)
    assert outcomes == [True, False, True, True]  # k1's request takes the bracket, and gets 409 there
    assert await count(conn, "gateway.api_keys") == 1 + 3
    assert len(await transactions_of(conn, ["k0", "k2", "k3"])) == 3  # each on its own
    assert await transactions_of(conn, ["k1"]) == set()


async def test_a_refused_write_fails_the_batch_and_only_itself(conn, database_url, api_key_id):
    tries = [try_for(api_key_id, "k0", 10), try_for(api_key_id, "k1", 10), try_for(api_key_id, "k2", 12)]
    assert await commit_at_once(database_url, tries) == [True, False, True]  # k1's secret is k0's: refused
    assert await count(conn, "gateway.api_keys") == 1 + 2
    assert await count(conn, "gateway.idempotency_keys") == 2


async def test_tries_of_one_key_sent_at_once_never_share_a_batch(conn, database_url, api_key_id):
    outcomes = await commit_at_once(database_url, [try_for(api_key_id, "k", 10), try_for(api_key_id, "k", 11),
                                                   try_for(api_key_id, "other", 12)])
    assert outcomes == [True, False, True]  # the second finds the first's response: the bracket replays it
    assert await count(conn, "gateway.api_keys") == 1 + 2
    # The first two went as one batch, the second of "k" after it (together, its hold would
    # have failed theirs and each would have been tried on its own).
    assert len(await transactions_of(conn, ["k", "other"])) == 1
