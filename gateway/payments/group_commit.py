"""A server process's concurrent provider callbacks, read and settled in batches.

At a provider's peak its callbacks arrive by the hundred a second, each a small transaction
whose fixed costs (its round trips, its COMMIT, the ledger trigger's run, the driver's work
per statement) outweigh its own, and each resent copy a query of its own. So each process
takes them in batches: while one batch is being run, the calls that arrive wait, then go
together as the next one. A call that arrives when no batch is being run goes at once,
alone: at a quiet time nothing waits.

Two kinds of batch: the answers already given to events (one query for all of them: the
copies providers resend are answered from it), and the words that settle attempts (one
transaction for all of them, gateway.payments.settling.settle_together: a group commit). A
settling batch is all or nothing. Should any of its statements fail (the ledger's refusal, a
deadlock, a lost connection), the whole is rolled back and each of its words is settled on
its own, as it would have been without batches: a failure is then its own word's alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.payments import attempt_store
from gateway.payments.outcomes import Verdict
from gateway.payments.settling import Word, settle, settle_together

log = logging.getLogger(__name__)

# Enough to take every callback a process has in flight at its peak; a bound, so that one
# transaction never locks a provider's whole backlog.
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
                 key: Callable[[Call], Hashable] = id) -> None:
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


async def _settle_words(conn: AsyncConnection, words: list[Word]) -> list[Verdict | Exception]:
    if len(words) > 1:
        try:
            return await settle_together(conn, words)
        except Exception as failure:
            log.info("a batch of %d provider words failed (%s: %s): each is settled on its own",
                     len(words), type(failure).__name__, failure)
    outcomes: list[Verdict | Exception] = []
    for word in words:
        try:
            outcomes.append(await settle(conn, word))
        except Exception as failure:
            outcomes.append(failure)
    return outcomes


async def _answers_given(conn: AsyncConnection, events: list[tuple[str, str]]) -> list[str | None]:
    given = await attempt_store.provider_event_answers(conn, events)
    return [given.get(event) for event in events]


@dataclasses.dataclass(frozen=True)
class CallbackBatches:
    # The answer each (provider, event_key) got, if it came before.
    answer_given: Batches[tuple[str, str], str | None]
    # A word's verdict, as settling.settle gives it (or raises); two words about one
    # attempt are decided one after the other, the second seeing what the first did.
    settle: Batches[Word, Verdict]


_OF_POOL: weakref.WeakKeyDictionary[AsyncConnectionPool, CallbackBatches] = weakref.WeakKeyDictionary()


def callback_batches(pool: AsyncConnectionPool) -> CallbackBatches:
    """The pool's own: one per process (and event loop), as its pool is."""
    if pool not in _OF_POOL:
        _OF_POOL[pool] = CallbackBatches(answer_given=Batches(pool, _answers_given),
                                         settle=Batches(pool, _settle_words, key=lambda word: word.attempt_ref))
    return _OF_POOL[pool]
