"""Idempotency keys in ``gateway.idempotency_keys``, with Stripe's semantics: the first
response to a key is kept for 24 hours and replayed; the key with other parameters is an
error; a key whose first request is still running is busy.

A request holds its key with a transaction-level advisory lock on the key's hash, taken
without waiting: failing to get it means another request with the key is running. The lock
lasts until the request's transaction ends, and the key's row (with the response) is written
in that transaction, so a crash before commit leaves nothing behind and the key free for a
retry. A lock rather than the row itself, because a row would have to be committed before
the transaction starts (so that a concurrent request finds it to fail to lock, not an insert
to wait for): a second commit, with its WAL flush, for every request.

A create knows its writes and its response before it touches the database, so it first
tries everything as one statement (``commit_first_try``), prepared, in a transaction of its
own: hold the key (gateway migration 0014's function, which raises when the key is busy or
used), write, store the response. Should the key not be free or a write be refused, nothing
was done and the request takes the bracket below, which answers it as it would have from the
start.

A row older than 24 hours is as good as absent: the key runs afresh and its row is
overwritten. ``delete_expired_keys`` removes such rows in the background, so the table holds
about one day of keys.

Each end of the bracket is one query string of several statements, so one round trip and
one call into psycopg (tens of microseconds of Python each): BEGIN, the
key's lock, the key's stored row and a savepoint for the operation; then (for a refused
operation) the rollback to the savepoint, the response and COMMIT. A query string of several
statements goes unprepared, with its parameters bound client-side by psycopg's ClientCursor.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import msgspec
from psycopg import AsyncClientCursor, AsyncConnection, Error, IntegrityError, pq
from psycopg.errors import SerializationFailure

from gateway.errors import IdempotencyInFlight, IdempotencyMismatch

log = logging.getLogger(__name__)

# How long a response is replayed, as Stripe does (and as gateway.hold_idempotency_key says).
KEPT_FOR = "interval '24 hours'"

# The lock is 64 bits of the key's hash, seeded by the API key: two different keys in flight at
# once share one (and one of them gets a needless 409) with a probability of about 2**-64.
# READ COMMITTED is said, not assumed: each statement sees what was committed before it
# started, so the row is read after the lock is granted, as the key's previous holder left it.
BEGIN_WITH_KEY = f"""
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT pg_try_advisory_xact_lock(hashtextextended(%(key)s, %(api_key_id)s));
SELECT request_sha256, response_status, response_body, created_at < now() - {KEPT_FOR} AS expired
  FROM gateway.idempotency_keys
 WHERE api_key_id = %(api_key_id)s AND key = %(key)s;
SAVEPOINT operation
"""

# A refused operation's changes are undone; the transaction, and the key's lock, stay for
# its stored refusal.
UNDO_OPERATION = "ROLLBACK TO SAVEPOINT operation;"

# The row exists already only when it expired (or its request died before saving, under an
# earlier version): the key then starts afresh, as if it had never been used.
SAVE_RESPONSE = """
INSERT INTO gateway.idempotency_keys (api_key_id, key, request_sha256, response_status, response_body)
VALUES (%(api_key_id)s, %(key)s, %(request_sha256)s, %(response_status)s, %(response_body)s)
ON CONFLICT (api_key_id, key) DO UPDATE
   SET request_sha256 = excluded.request_sha256, response_status = excluded.response_status,
       response_body = excluded.response_body, created_at = now()
"""
SAVE_AND_COMMIT = SAVE_RESPONSE + ";\nCOMMIT"

# The first try, one statement: the key's hold is the main query, the writes and the response
# data-modifying parts of it, which PostgreSQL runs to completion after it. Were it to run
# a part first, the hold would see the key's new row (its new snapshot sees the statement's
# earlier parts) and refuse: the request would take the bracket, never run twice.
KEY_NOT_FREE = "PPKEY"  # the SQLSTATE gateway.hold_idempotency_key raises


# One batch of expired rows, oldest first, skipping rows another deleter or a request
# reusing the key holds: every process may run it at once, and each statement stays short.
DELETE_EXPIRED_BATCH = f"""
DELETE FROM gateway.idempotency_keys
 WHERE (api_key_id, key) IN (
       SELECT api_key_id, key FROM gateway.idempotency_keys
        WHERE created_at < now() - {KEPT_FOR}
        ORDER BY created_at
        LIMIT %(batch_size)s
          FOR UPDATE SKIP LOCKED)
"""


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    status: int
    body: bytes


class Write(msgspec.Struct, frozen=True):
    """Statements that go together (INSERTs, each without a WITH of its own) and their
    parameters, named apart from each other's."""

    statements: tuple[str, ...]
    params: dict[str, Any]


@functools.cache  # one operation's writes are constants: built once, not per create
def first_try_statement(writes: tuple[str, ...]) -> str:
    parts = ", ".join(f"write_{number} AS ({statement})" for number, statement in enumerate(writes))
    return f"""WITH held AS (SELECT gateway.hold_idempotency_key(%(api_key_id)s, %(key)s)),
{parts}, saved AS ({SAVE_RESPONSE})
SELECT FROM held"""


def first_try_params(api_key_id: int, key: str, request_sha256: bytes, write: Write,
                     response: StoredResponse) -> dict[str, Any]:
    params = {"api_key_id": api_key_id, "key": key, "request_sha256": request_sha256,
              "response_status": response.status, "response_body": response.body}
    assert not params.keys() & write.params.keys(), "the writes' parameters are named like the key's"
    return params | write.params


async def commit_first_try(conn: AsyncConnection, api_key_id: int, key: str, request_sha256: bytes,
                           write: Write, response: StoredResponse) -> bool:
    """In one statement (its own transaction), hold ``key``, make ``write`` and store
    ``response`` for the key: True. False when nothing was done: the key is busy or has a
    response already, a write was refused (an integrity error, which the operation's own
    path reports), or a transaction isolation above READ COMMITTED, the server's default,
    met a concurrent change (the bracket says READ COMMITTED)."""
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE, "commit_first_try is its own transaction"
    try:
        await conn.execute(first_try_statement(write.statements),
                           first_try_params(api_key_id, key, request_sha256, write, response))
    except (IntegrityError, SerializationFailure):
        return False
    except Error as exc:
        if exc.sqlstate == KEY_NOT_FREE:
            return False
        raise
    return True


async def begin_with_key(conn: AsyncConnection, api_key_id: int, key: str, request_sha256: bytes) -> StoredResponse | None:
    """Start the request's transaction holding ``key``. None: go ahead, inside the transaction,
    at a savepoint for the operation; end it with ``commit_response`` (or ``roll_back``).
    A stored response to replay, IdempotencyMismatch or IdempotencyInFlight: the transaction
    is over."""
    assert conn.info.transaction_status == pq.TransactionStatus.IDLE, "begin_with_key starts the transaction"
    async with AsyncClientCursor(conn) as cur:
        await cur.execute(BEGIN_WITH_KEY, {"api_key_id": api_key_id, "key": key})
        cur.nextset()
        (acquired,) = await cur.fetchone()
        cur.nextset()
        row = await cur.fetchone()
    if acquired and (row is None or row[1] is None or row[3]):
        return None
    await roll_back(conn)
    if not acquired:
        raise IdempotencyInFlight(
            "There is currently another in-progress request using this idempotency key (that probably means you"
            " submitted twice, and the other request is still going through). Please try again later."
        )
    stored_sha256, status, body, _ = row
    if stored_sha256 != request_sha256:
        raise IdempotencyMismatch(
            "Keys for idempotent requests can only be used with the same parameters they were first used with."
            f" Try using a key other than '{key}' if you meant to execute a different request."
        )
    return StoredResponse(status=status, body=body)


async def commit_response(conn: AsyncConnection, api_key_id: int, key: str, request_sha256: bytes,
                          response: StoredResponse, *, keep_changes: bool) -> None:
    """Keep or undo the operation's changes, store its response for ``key`` and commit."""
    query = SAVE_AND_COMMIT if keep_changes else UNDO_OPERATION + SAVE_AND_COMMIT
    async with AsyncClientCursor(conn) as cur:
        await cur.execute(query, {"api_key_id": api_key_id, "key": key, "request_sha256": request_sha256,
                                  "response_status": response.status, "response_body": response.body})


async def roll_back(conn: AsyncConnection) -> None:
    """End the request's transaction, undoing everything; on a broken connection, only say so
    (the pool discards it), so that the error that brought us here is the one reported."""
    try:
        await conn.execute("ROLLBACK")
    except Error as exc:
        log.warning("rolling back an idempotent request failed: %s", exc)


async def delete_expired_keys(conn: AsyncConnection, batch_size: int = 1000) -> int:
    """Delete the rows of keys past their 24 hours, one committed batch at a time (on an
    autocommit connection); return how many."""
    deleted = 0
    while True:
        batch = (await conn.execute(DELETE_EXPIRED_BATCH, {"batch_size": batch_size})).rowcount
        deleted += batch
        if batch < batch_size:
            return deleted
