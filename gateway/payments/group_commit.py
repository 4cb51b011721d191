"""A server process's concurrent provider callbacks, read and settled in batches
(gateway.group_commit): at a provider's peak they arrive by the hundred a second, each a
small transaction, and each resent copy a query of its own.

A batch first reads the answers its events got before, in one query: the copies providers
resend are answered from it. The others settle their attempts in one transaction
(gateway.payments.settling.settle_together: a group commit), all or nothing. Should any of
its statements fail (the ledger's refusal, a deadlock, a lost connection), the whole is
rolled back and each of its words is settled on its own, as it would have been without
batches: a failure is then its own word's alone.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections import OrderedDict

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.group_commit import Batches, together_or_each_alone
from gateway.payments import attempt_store
from gateway.payments.outcomes import Verdict
from gateway.payments.settling import Word, settle, settle_together

# About a day of a busy provider's callbacks at one process, in some tens of megabytes.
ANSWERS_KEPT = 100_000


@dataclasses.dataclass(frozen=True)
class AnsweredBefore:
    """A copy of a provider event applied before: the answer its first copy got."""

    answer: str


class CallbackSettling:
    """A pool's provider words, settled in batches; and the answers its events got, the last
    ANSWERS_KEPT of them remembered: a provider event's answer never changes once recorded
    (gateway.provider_events is never updated), so a copy this process has seen before is
    answered without waiting for a batch or asking the database."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._answers: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._batches = Batches(pool, self._settle_words, key=lambda word: word.attempt_ref)

    def answer_given(self, provider: str, event_key: str) -> str | None:
        """The answer the event got, if this process remembers it."""
        answer = self._answers.get((provider, event_key))
        if answer is not None:
            self._answers.move_to_end((provider, event_key))
        return answer

    async def settle(self, word: Word) -> Verdict | AnsweredBefore:
        """The word's verdict, as settling.settle gives it (or raises), or the answer its
        event got before. Two words about one attempt are decided one after the other, the
        second seeing what the first did."""
        return await self._batches(word)

    async def _settle_words(self, conn: AsyncConnection, words: list[Word]) -> list[Verdict | AnsweredBefore | Exception]:
        """The copies of events applied before are answered first, from one query; the
        others are settled together."""
        events = [(word.received.provider, word.received.event_key) if word.received else None for word in words]
        given = await attempt_store.provider_event_answers(conn, [event for event in events if event])
        new = [word for word, event in zip(words, events) if event not in given]
        settled = iter(await together_or_each_alone(conn, new, settle_together, settle))
        outcomes = [AnsweredBefore(given[event]) if event in given else next(settled) for event in events]
        for word, event, outcome in zip(words, events, outcomes, strict=True):
            if isinstance(outcome, AnsweredBefore):
                self._remember(event, outcome.answer)
            elif isinstance(outcome, Verdict) and word.received is not None and word.received.first_copy:
                self._remember(event, outcome.answer.value)
        return outcomes

    def _remember(self, event: tuple[str, str], answer: str) -> None:
        self._answers[event] = answer
        if len(self._answers) > ANSWERS_KEPT:
            self._answers.popitem(last=False)


_OF_POOL: weakref.WeakKeyDictionary[AsyncConnectionPool, CallbackSettling] = weakref.WeakKeyDictionary()


def callback_settling(pool: AsyncConnectionPool) -> CallbackSettling:
    """The pool's own: one per process (and event loop), as its pool is."""
    if pool not in _OF_POOL:
        # Through a weak reference: the pool's entry must not keep the pool alive.
        _OF_POOL[pool] = CallbackSettling(weakref.proxy(pool))
    return _OF_POOL[pool]
