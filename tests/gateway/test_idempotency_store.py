"""The idempotency bracket at the store level, on real connections: one request holds a key
for the length of its transaction; what it stores is replayed; what it refused is undone;
rows past their 24 hours are deleted in the background."""

import asyncio
from functools import partial

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from gateway.background import delete_expired_idempotency_keys, run_every
from gateway.errors import IdempotencyInFlight, IdempotencyMismatch
from gateway.idempotency.store import (
    StoredResponse,
    Write,
    begin_with_key,
    commit_first_try,
    commit_response,
    delete_expired_keys,
    roll_back,
)
from gateway.keys.model import Mode
from gateway.keys.store import create_key

FINGERPRINT = b"\x01" * 32
OTHER_FINGERPRINT = b"\x02" * 32
OK = StoredResponse(status=200, body=b'{"id": "pi_1"}')
REFUSED = StoredResponse(status=400, body=b'{"error": {}}')


@pytest.fixture
async def api_key_id(conn) -> int:
    return (await create_key(conn, "BCA", Mode.TEST))[0].id


@pytest.fixture
async def other(database_url):
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as connection:
        yield connection


async def count(conn, table: str) -> int:
    return (await (await conn.execute(f"SELECT count(*) FROM {table}")).fetchone())[0]


async def test_a_key_held_by_a_running_request_is_busy_and_then_replayed(conn, other, api_key_id):
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    with pytest.raises(IdempotencyInFlight):
        await begin_with_key(other, api_key_id, "k", FINGERPRINT)
    assert other.info.transaction_status == psycopg.pq.TransactionStatus.IDLE

    await commit_response(conn, api_key_id, "k", FINGERPRINT, OK, keep_changes=True)
    assert await begin_with_key(other, api_key_id, "k", FINGERPRINT) == OK
    with pytest.raises(IdempotencyMismatch):
        await begin_with_key(other, api_key_id, "k", OTHER_FINGERPRINT)


async def test_keys_are_per_api_key(conn, other, api_key_id):
    second_key_id = (await create_key(conn, "BCA", Mode.TEST))[0].id
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    assert await begin_with_key(other, second_key_id, "k", FINGERPRINT) is None
    await roll_back(other)
    await roll_back(conn)


async def test_a_refused_operation_is_undone_and_its_refusal_stored(conn, api_key_id):
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    await conn.execute("INSERT INTO gateway.api_keys (agency_code, mode, secret_sha256, display_prefix)"
                       " VALUES ('BCA', 'test', %s, 'sk_test_abcd')", (b"\x03" * 32,))
    await commit_response(conn, api_key_id, "k", FINGERPRINT, REFUSED, keep_changes=False)
    assert await count(conn, "gateway.api_keys") == 1
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) == REFUSED


async def test_a_refusal_that_keeps_its_changes_commits_them(conn, api_key_id):
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    await conn.execute("INSERT INTO gateway.api_keys (agency_code, mode, secret_sha256, display_prefix)"
                       " VALUES ('BCA', 'test', %s, 'sk_test_abcd')", (b"\x03" * 32,))
    await commit_response(conn, api_key_id, "k", FINGERPRINT, REFUSED, keep_changes=True)
    assert await count(conn, "gateway.api_keys") == 2


async def test_a_rolled_back_request_leaves_the_key_free(conn, other, api_key_id):
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    await roll_back(conn)
    assert await count(conn, "gateway.idempotency_keys") == 0
    assert await begin_with_key(other, api_key_id, "k", OTHER_FINGERPRINT) is None
    await roll_back(other)


async def test_an_expired_key_starts_afresh(conn, api_key_id):
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) is None
    await commit_response(conn, api_key_id, "k", FINGERPRINT, OK, keep_changes=True)
    await conn.execute("UPDATE gateway.idempotency_keys SET created_at = now() - interval '25 hours'")
    assert await begin_with_key(conn, api_key_id, "k", OTHER_FINGERPRINT) is None
    await commit_response(conn, api_key_id, "k", OTHER_FINGERPRINT, REFUSED, keep_changes=True)
    assert await begin_with_key(conn, api_key_id, "k", OTHER_FINGERPRINT) == REFUSED
    assert await count(conn, "gateway.idempotency_keys") == 1


# A first try's write: a new API key row (whose secret hash must be 32 bytes, and unique).
def new_api_key_row(secret_sha256: bytes = b"\x03" * 32) -> Write:
    return Write(("INSERT INTO gateway.api_keys (agency_code, mode, secret_sha256, display_prefix)"
                  " VALUES ('BCA', 'test', %(secret_sha256)s, 'sk_test_abcd')",), {"secret_sha256": secret_sha256})


async def test_a_first_try_on_a_free_key_writes_and_stores_its_response_at_once(conn, api_key_id):
    assert await commit_first_try(conn, api_key_id, "k", FINGERPRINT, new_api_key_row(), OK)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert await count(conn, "gateway.api_keys") == 2
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) == OK


async def test_a_first_try_on_a_busy_key_does_nothing(conn, other, api_key_id):
    assert await begin_with_key(other, api_key_id, "k", FINGERPRINT) is None
    assert not await commit_first_try(conn, api_key_id, "k", FINGERPRINT, new_api_key_row(), OK)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    await commit_response(other, api_key_id, "k", FINGERPRINT, REFUSED, keep_changes=True)
    assert await count(conn, "gateway.api_keys") == 1
    assert await begin_with_key(conn, api_key_id, "k", FINGERPRINT) == REFUSED


async def test_a_first_try_on_a_used_key_does_nothing_until_the_key_expires(conn, api_key_id):
    assert await commit_first_try(conn, api_key_id, "k", FINGERPRINT, new_api_key_row(), OK)
    assert not await commit_first_try(conn, api_key_id, "k", FINGERPRINT, new_api_key_row(b"\x04" * 32), REFUSED)
    assert await count(conn, "gateway.api_keys") == 2
    await conn.execute("UPDATE gateway.idempotency_keys SET created_at = now() - interval '25 hours'")
    assert await commit_first_try(conn, api_key_id, "k", OTHER_FINGERPRINT, new_api_key_row(b"\x04" * 32), REFUSED)
    assert await count(conn, "gateway.api_keys") == 3
    assert await begin_with_key(conn, api_key_id, "k", OTHER_FINGERPRINT) == REFUSED


async def test_a_first_try_whose_write_is_refused_does_nothing_and_leaves_the_key_free(conn, other, api_key_id):
    assert not await commit_first_try(conn, api_key_id, "k", FINGERPRINT, new_api_key_row(b"\x03"), OK)
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert await count(conn, "gateway.idempotency_keys") == 0
    assert await begin_with_key(other, api_key_id, "k", FINGERPRINT) is None
    await roll_back(other)


async def test_a_first_try_makes_all_its_writes_or_none(conn, api_key_id):
    insert = new_api_key_row().statements[0]
    two = Write((insert, insert.replace("secret_sha256)s", "other_sha256)s")),
                {"secret_sha256": b"\x03" * 32, "other_sha256": b"\x04" * 32})
    assert await commit_first_try(conn, api_key_id, "k", FINGERPRINT, two, OK)
    assert await count(conn, "gateway.api_keys") == 3
    second_refused = Write(two.statements, {"secret_sha256": b"\x05" * 32, "other_sha256": b"\x04" * 32})
    assert not await commit_first_try(conn, api_key_id, "k2", FINGERPRINT, second_refused, OK)
    assert await count(conn, "gateway.api_keys") == 3
    assert await count(conn, "gateway.idempotency_keys") == 1


async def store_keys(conn, api_key_id: int, keys: list[str], *, age: str = "0 seconds") -> None:
    for key in keys:
        assert await begin_with_key(conn, api_key_id, key, FINGERPRINT) is None
        await commit_response(conn, api_key_id, key, FINGERPRINT, OK, keep_changes=True)
    await conn.execute("UPDATE gateway.idempotency_keys SET created_at = now() - %s::interval WHERE key = ANY(%s)",
                       (age, keys))


async def stored_keys(conn) -> set[str]:
    return {key for (key,) in await (await conn.execute("SELECT key FROM gateway.idempotency_keys")).fetchall()}


async def test_expired_keys_are_deleted_in_batches_and_fresh_ones_kept(conn, api_key_id):
    await store_keys(conn, api_key_id, [f"old-{i}" for i in range(7)], age="24 hours 1 second")
    await store_keys(conn, api_key_id, ["day-old-but-in-time"], age="23 hours 59 minutes")
    await store_keys(conn, api_key_id, ["fresh"])
    assert await delete_expired_keys(conn, batch_size=3) == 7
    assert await stored_keys(conn) == {"day-old-but-in-time", "fresh"}
    assert await delete_expired_keys(conn, batch_size=3) == 0
    assert await begin_with_key(conn, api_key_id, "fresh", FINGERPRINT) == OK
    await roll_back(conn)


async def test_deleters_in_several_processes_at_once_delete_each_row_once(conn, database_url, api_key_id):
    await store_keys(conn, api_key_id, [f"old-{i}" for i in range(200)], age="25 hours")
    connections = [await psycopg.AsyncConnection.connect(database_url, autocommit=True) for _ in range(4)]
    try:
        counts = await asyncio.gather(*(delete_expired_keys(c, batch_size=7) for c in connections))
    finally:
        for connection in connections:
            await connection.close()
    assert sum(counts) == 200 and await stored_keys(conn) == set()


async def test_a_key_reused_while_its_expired_row_is_deleted_stores_its_new_response(conn, other, api_key_id):
    await store_keys(conn, api_key_id, ["k"], age="25 hours")
    assert await begin_with_key(conn, api_key_id, "k", OTHER_FINGERPRINT) is None
    assert await delete_expired_keys(other) == 1  # the request has read the row but not locked it
    await commit_response(conn, api_key_id, "k", OTHER_FINGERPRINT, REFUSED, keep_changes=True)
    assert await begin_with_key(conn, api_key_id, "k", OTHER_FINGERPRINT) == REFUSED
    await roll_back(conn)
    assert await delete_expired_keys(other) == 0


async def test_the_server_deletes_expired_keys_in_the_background(conn, database_url, api_key_id):
    await store_keys(conn, api_key_id, ["old"], age="25 hours")
    await store_keys(conn, api_key_id, ["fresh"])
    stop = asyncio.Event()
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        job = asyncio.create_task(run_every(0.1, partial(delete_expired_idempotency_keys, pool), "cleanup", stop))
        for _ in range(50):
            if await stored_keys(conn) == {"fresh"}:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await asyncio.wait_for(job, 5)
    assert await stored_keys(conn) == {"fresh"}
