"""Idempotency keys in ``gateway.idempotency_keys``, with Stripe's semantics: the first
response to a key is kept for 24 hours and replayed; the key with other parameters is an
error; a key whose first request is still running is busy.

A request first registers its key (committed at once, outside its transaction), then, in its
transaction, locks the key's row without waiting: failing to get the lock means another
request with the key is running. The lock lasts until that transaction ends, and the
response is saved in it, so a crash before commit leaves the key free for a retry.
"""

from __future__ import annotations

import msgspec
from psycopg import AsyncConnection, errors, pq

from gateway.errors import IdempotencyInFlight, IdempotencyMismatch

REGISTER = """
INSERT INTO gateway.idempotency_keys (api_key_id, key, request_sha256)
VALUES (%(api_key_id)s, %(key)s, %(request_sha256)s)
ON CONFLICT (api_key_id, key) DO NOTHING
"""

LOCK = """
SELECT request_sha256, response_status, response_body, created_at < now() - interval '24 hours' AS expired
  FROM gateway.idempotency_keys
 WHERE api_key_id = %(api_key_id)s AND key = %(key)s
   FOR UPDATE NOWAIT
"""

# An expired key starts afresh, as if it had never been used.
RENEW = """
UPDATE gateway.idempotency_keys
   SET request_sha256 = %(request_sha256)s, response_status = NULL, response_body = NULL, created_at = now()
 WHERE api_key_id = %(api_key_id)s AND key = %(key)s
"""

SAVE = """
UPDATE gateway.idempotency_keys SET response_status = %(status)s, response_body = %(body)s
 WHERE api_key_id = %(api_key_id)s AND key = %(key)s
"""


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    body: bytes


async def register_key(conn: AsyncConnection, api_key_id: int, key: str, request_sha256: bytes) -> None:
    """Make sure the key's row exists; call outside a transaction, so that the insert is
    visible at once and a concurrent request finds a row to fail to lock, not an insert
    to wait for."""
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE, "register_key must run outside a transaction"
    await conn.execute(REGISTER, {"api_key_id": api_key_id, "key": key, "request_sha256": request_sha256})


async def lock_key(conn: AsyncConnection, api_key_id: int, key: str, request_sha256: bytes) -> StoredResponse | None:
    """Within the request's transaction: the stored response to replay, or None to go ahead."""
    values = {"api_key_id": api_key_id, "key": key, "request_sha256": request_sha256}
    try:
        row = await (await conn.execute(LOCK, values)).fetchone()
    except errors.LockNotAvailable:
        raise IdempotencyInFlight(
            "There is currently another in-progress request using this idempotency key (that probably means you"
            " submitted twice, and the other request is still going through). Please try again later."
        ) from None
    assert row is not None, "the key's row was deleted between register_key and lock_key"
    stored_sha256, status, body, expired = row
    if expired:
        await conn.execute(RENEW, values)
        return None
    if stored_sha256 != request_sha256:
        raise IdempotencyMismatch(
            "Keys for idempotent requests can only be used with the same parameters they were first used with."
            f" Try using a key other than '{key}' if you meant to execute a different request."
        )
    return None if status is None else StoredResponse(status=status, body=body)


async def save_response(conn: AsyncConnection, api_key_id: int, key: str, response: StoredResponse) -> None:
    await conn.execute(SAVE, {"api_key_id": api_key_id, "key": key, "status": response.status, "body": response.body})
