"""Active API keys remembered for a short time in each server process, so that a request
does not look its key up in the database: a revoked key keeps working in a process for at
most ``ttl_s`` after its revocation commits."""

from __future__ import annotations

import time
from collections.abc import Callable

from psycopg import AsyncConnection

from gateway.keys.model import ApiKey, secret_hash
from gateway.keys.store import find_active_key


class ActiveKeyCache:
    """Only active keys are kept (an unknown or revoked secret is looked up every time), so
    the cache holds at most one entry per key in use."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self.clock = clock
        # secret's SHA-256 → (when the entry stops being trusted, the key)
        self._entries: dict[bytes, tuple[float, ApiKey]] = {}

    async def find_active_key(self, conn: AsyncConnection, secret: str) -> ApiKey | None:
        digest = secret_hash(secret)
        # Read before the lookup: a lookup that raced with a revocation saw the key active
        # only if it started before the revocation, so its entry expires within ttl_s of it.
        now = self.clock()
        cached = self._entries.get(digest)
        if cached is not None and now < cached[0]:
            return cached[1]
        key = await find_active_key(conn, secret)
        if key is None:
            self._entries.pop(digest, None)
        else:
            self._entries[digest] = (now + self.ttl_s, key)
        return key
