"""Each server process trusts an API key it found active for a short time: a revocation is
honoured within that time, never later."""

import psycopg

from gateway.keys.cache import ActiveKeyCache
from gateway.keys.model import Mode
from gateway.keys.store import create_key, revoke_key

TTL_S = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_revoked_key_works_until_its_entry_expires_then_never(conn, database_url):
    key, secret = await create_key(conn, "BCA", Mode.TEST)
    clock = Clock()
    cache = ActiveKeyCache(TTL_S, clock)
    assert await cache.find_active_key(conn, secret) == key
    await revoke_key(conn, key.id)

    clock.now += TTL_S - 0.001
    async with await psycopg.AsyncConnection.connect(database_url) as closed:
        pass
    # Within the window the key is served from memory: no query (the connection is closed).
    assert await cache.find_active_key(closed, secret) == key

    clock.now += 0.001
    assert await cache.find_active_key(conn, secret) is None
    assert await cache.find_active_key(conn, secret) is None  # and it stays refused


async def test_unknown_secrets_are_looked_up_every_time(conn):
    cache = ActiveKeyCache(TTL_S, Clock())
    unknown = "sk_test_" + "x" * 32
    assert await cache.find_active_key(conn, unknown) is None
    key, secret = await create_key(conn, "BCA", Mode.TEST)
    assert await cache.find_active_key(conn, secret) == key


async def test_without_a_ttl_a_revocation_shows_at_once(conn):
    key, secret = await create_key(conn, "BCA", Mode.LIVE)
    cache = ActiveKeyCache(0, Clock())
    assert await cache.find_active_key(conn, secret) == key
    await revoke_key(conn, key.id)
    assert await cache.find_active_key(conn, secret) is None
