"""A server process's concurrent creates committed together (gateway.group_commit): each
create's first try (``store.commit_first_try``: hold the key, write, store the response, in
one statement) is a transaction of its own, whose COMMIT and round trip cost the database
more than its writes. A batch sends its creates' statements in one transaction, all or
nothing. Should any fail (a key another request holds, a refused write, a lost connection),
the whole is rolled back and each create is tried on its own, as it would have been without
batches: each then commits, or is answered False and takes the key's bracket, or fails, on
its own. Two tries of one key never share a batch."""

from __future__ import annotations

import dataclasses
import logging

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.group_commit import Batches, transaction_in_one_go
from gateway.idempotency.store import StoredResponse, Write, commit_first_try, first_try_params, first_try_statement

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class FirstTry:
    """What ``store.commit_first_try`` takes, but its connection."""

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
    if len(tries) > 1:
        try:
            async with transaction_in_one_go(conn):
                for each in tries:
                    await conn.execute(first_try_statement(each.write.statements), _params(each))
            return [True] * len(tries)
        except Exception as failure:
            log.info("a batch of %d first tries failed (%s: %s): each is tried on its own",
                     len(tries), type(failure).__name__, failure)
    outcomes: list[bool | Exception] = []
    for each in tries:
        try:
            outcomes.append(await commit_first_try(conn, each.api_key_id, each.key, each.request_sha256, each.write,
                                                   each.response))
        except Exception as failure:
            outcomes.append(failure)
    return outcomes


def _params(each: FirstTry) -> dict:
    return first_try_params(each.api_key_id, each.key, each.request_sha256, each.write, each.response)
