"""A server process's concurrent creates committed together (gateway.group_commit): each
create's first try (``store.commit_first_try``: hold the key, write, store the response, in
one statement) is a transaction of its own, whose COMMIT and round trip cost the database
more than its writes. A batch sends its creates' statements in one transaction, all or
nothing. Should any fail (a key another request holds, a refused write, a lost connection),
the whole is rolled back and each create is tried on its own, as it would have been without
batches: each then commits, or is answered False and takes the key's bracket, or fails, on
its own. Two tries of one key never share a batch."""

from __future__ import annotations

from typing import NamedTuple

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.group_commit import Batches, together_or_each_alone, transaction_in_one_go
from gateway.idempotency.store import StoredResponse, Write, commit_first_try, first_try_params, first_try_statement


class FirstTry(NamedTuple):
    """What ``store.commit_first_try`` takes after its connection, in its order (and
    ``store.first_try_params`` in all)."""

    api_key_id: int
    key: str
    request_sha256: bytes
    write: Write
    response: StoredResponse


FirstTries = Batches[FirstTry, bool]


def first_tries(pool: AsyncConnectionPool) -> FirstTries:
    """A process's batches of first tries, on a connection of ``pool``: one whose holders wait
    for nothing else (a request waiting for its batch holds a connection of its own)."""
    return Batches(pool, _commit_together, key=lambda each: (each.api_key_id, each.key))


async def _commit_together(conn: AsyncConnection, tries: list[FirstTry]) -> list[bool | Exception]:
    return await together_or_each_alone(conn, tries, _in_one_transaction, _alone)


async def _in_one_transaction(conn: AsyncConnection, tries: list[FirstTry]) -> list[bool]:
    async with transaction_in_one_go(conn):
        for each in tries:
            await conn.execute(first_try_statement(each.write.statements), first_try_params(*each))
    return [True] * len(tries)


async def _alone(conn: AsyncConnection, each: FirstTry) -> bool:
    return await commit_first_try(conn, *each)
