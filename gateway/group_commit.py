"""Group commit: a server process's concurrent small transactions, run in batches.

At a peak, requests that each make one small transaction arrive by the hundred a second, and
each transaction's fixed costs (its round trips, its COMMIT with its WAL flush, the driver's
work per statement, the wake-ups of two processes on a shared machine) outweigh its own
work. So a process takes such calls in batches (``Batches``): while one batch is being run,
the calls that arrive wait, then go together as the next one, in one transaction sent in one
go (``transaction_in_one_go``). A call that arrives when no batch is being run goes at once,
alone: at a quiet time nothing waits. Should a batch's transaction fail, its runner does each
call on its own, as it would have been without batches, so that a failure stays its own
call's: see gateway/payments/group_commit.py (provider callbacks) and
gateway/idempotency/group_commit.py (creates).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from psycopg import AsyncConnection, pq
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)

# Enough to take every call a process has in flight at its peak; a bound, so that one
# transaction never holds the locks of a whole backlog.
MAX_BATCH = 64

Call = TypeVar("Call")
Outcome = TypeVar("Outcome")


@dataclasses.dataclass(frozen=True)
class _Waiting(Generic[Call, Outcome]):
    call: Call
    outcome: asyncio.Future[Outcome]


class Batches(Generic[Call, Outcome]):
    """Calls run ``run(conn, calls)`` one batch at a time, on a connection of ``pool``: it
    returns each call's outcome, or the exception that call raises. Calls of one ``key``
    never share a batch."""

    def __init__(self, pool: AsyncConnectionPool,
                 run: Callable[[AsyncConnection, list[Call]], Awaitable[list[Outcome | Exception]]],
                 key: Callable[[Call], Hashable]) -> None:
        self._pool, self._run, self._key = pool, run, key
        self._waiting: list[_Waiting[Call, Outcome]] = []
        self._running: asyncio.Task | None = None

    async def __call__(self, call: Call) -> Outcome:
        """A caller that is cancelled does not take its call back: it is run all the same."""
        waiting = _Waiting(call, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        if self._running is None:
            self._running = asyncio.create_task(self._run_batches())
        return await asyncio.shield(waiting.outcome)

    async def _run_batches(self) -> None:
        """One batch after the other as long as calls come, on one connection while it
        lasts: its prepared statements serve them all."""
        batch: list[_Waiting[Call, Outcome]] = []
        try:
            while self._waiting:
                batch = self._next_batch()
                try:
                    async with self._pool.connection() as conn:
                        while True:
                            _resolve(batch, await self._run(conn, [waiting.call for waiting in batch]))
                            if not self._waiting or conn.broken:
                                break
                            batch = self._next_batch()
                except Exception as failure:  # no connection to be had, or lost: the batch fails with it
                    _resolve(batch, [failure] * len(batch))
        finally:  # cancelled only when the process stops: then no caller may wait for ever
            self._running = None
            for waiting in [*batch, *self._waiting]:
                waiting.outcome.cancel()
            self._waiting.clear()

    def _next_batch(self) -> list[_Waiting[Call, Outcome]]:
        batch, later, keys = [], [], set()
        for waiting in self._waiting:
            if len(batch) < MAX_BATCH and (key := self._key(waiting.call)) not in keys:
                batch.append(waiting)
                keys.add(key)
            else:
                later.append(waiting)
        self._waiting = later
        return batch


def _resolve(batch: list[_Waiting[Call, Outcome]], outcomes: list[Outcome | Exception]) -> None:
    """Each call's outcome, but for one already had (a batch that failed after it)."""
    for waiting, outcome in zip(batch, outcomes, strict=True):
        if waiting.outcome.done():
            continue
        if isinstance(outcome, Exception):
            waiting.outcome.set_exception(outcome)
        else:
            waiting.outcome.set_result(outcome)


async def together_or_each_alone(
    conn: AsyncConnection, calls: list[Call],
    together: Callable[[AsyncConnection, list[Call]], Awaitable[list[Outcome]]],
    alone: Callable[[AsyncConnection, Call], Awaitable[Outcome]],
) -> list[Outcome | Exception]:
    """``together`` for a batch of several, all or nothing; should it fail, ``alone`` for each
    call in turn, so that a failure is its own call's outcome, and no one else's."""
    if len(calls) > 1:
        try:
            return await together(conn, calls)
        except Exception as failure:
            log.info("a batch of %d failed (%s: %s): each is run on its own", len(calls), type(failure).__name__, failure)
    outcomes: list[Outcome | Exception] = []
    for call in calls:
        try:
            outcomes.append(await alone(conn, call))
        except Exception as failure:
            outcomes.append(failure)
    return outcomes


@contextlib.asynccontextmanager
async def transaction_in_one_go(conn: AsyncConnection) -> AsyncIterator[None]:
    """A transaction whose BEGIN travels with its first statements and whose COMMIT with its
    last: psycopg's own transaction() would wait for each of them, and for a sync of its
    pipeline before the COMMIT. Any error rolls the whole back."""
    try:
        async with conn.pipeline():
            await conn.execute("BEGIN")
            yield
            await conn.execute("COMMIT")
    finally:
        if conn.info.transaction_status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
            await conn.execute("ROLLBACK")
