"""The idempotency bracket at the store level, on real connections: one request holds a key
for the length of its transaction; what it stores is replayed; what it refused is undone."""

import psycopg
import pytest

from gateway.errors import IdempotencyInFlight, IdempotencyMismatch
from gateway.idempotency.store import StoredResponse, begin_with_key, commit_response, roll_back
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
