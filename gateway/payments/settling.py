"""Applying a provider's verified word about an attempt: the attempt's and intent's change,
the ledger transfer, the catalogue's records and the outgoing event, in one transaction.

Whoever brings the word (a callback, the payer's return, the status-query job, the card
acquirer's synchronous answer), the intent's row is locked first and the attempt's second,
so concurrent copies of one message apply one after the other and the second finds nothing
left to do (gateway.payments.outcomes.decide).

A transaction of its own is sent as a pipeline (one of PostgreSQL's protocol modes): its
statements travel together and the server is waited for only where a result is read, twice
for a callback's payment (the locked rows; then the rest with the COMMIT) instead of once
per statement. The transaction is one unit, so the ledger posts in it without a savepoint
and without awaiting its answer; should the ledger refuse the booking (which the COMMIT's
answer tells), the whole is rolled back and done again statement by statement, which names
the refusal. Any other statement's error is raised as it is.

Several words may be applied in one such transaction (settle_together, for concurrent
callbacks): the same statements for each, their rows locked by one statement, their
payments booked by one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from psycopg import AsyncConnection, pq

from gateway.errors import ResourceMissing
from gateway.events.store import Origin, new_event
from gateway.group_commit import transaction_in_one_go
from gateway.keys.model import Scope
from gateway.observability.metrics import PAYMENT_OUTCOMES
from gateway.payments import attempt_store, store
from gateway.payments.booking import book_payment, payment_transfers, record_what_was_paid
from gateway.payments.model import Attempt
from gateway.payments.operations import announcement
from gateway.payments.outcomes import Result, Verdict, decide
from gateway.refunds.automatic import refund_unneeded_payment
from gateway.sessions.completion import complete_session_paid_by
from ledger.model import Transfer
from ledger.store import REFUSALS, refused_by_ledger, send_linked_transfers

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Word:
    """A provider's verified word about the attempt ``attempt_ref`` (at ``provider``, and of
    mode ``livemode``, if given), with ``received`` (the provider event that brought it,
    recorded with the verdict's answer) and whatever ``record`` writes (what else the caller
    keeps with the change, in the same transaction)."""

    attempt_ref: str
    result: Result
    origin: Origin = Origin()
    provider: str | None = None
    livemode: bool | None = None
    received: attempt_store.Received | None = None
    record: Callable[[AsyncConnection, Verdict], Awaitable[None]] | None = None


async def settle_attempt(conn: AsyncConnection, attempt_ref: str, result: Result, origin: Origin = Origin(), *,
                         provider: str | None = None, livemode: bool | None = None,
                         received: attempt_store.Received | None = None,
                         record: Callable[[AsyncConnection, Verdict], Awaitable[None]] | None = None) -> Verdict:
    """In the caller's transaction (one is opened if it has none). ResourceMissing when no
    attempt is ``attempt_ref`` (see Word for the rest)."""
    return await settle(conn, Word(attempt_ref, result, origin, provider, livemode, received, record))


async def settle(conn: AsyncConnection, word: Word) -> Verdict:
    in_one_unit = conn.info.transaction_status == pq.TransactionStatus.IDLE
    try:
        if in_one_unit:
            bookings: list[Transfer] = []
            async with transaction_in_one_go(conn):
                verdict, before = await _apply(conn, word, await _lock(conn, word), bookings)
                await _send_bookings(conn, bookings)
        else:
            async with conn.transaction():
                verdict, before = await _apply(conn, word, await _lock(conn, word), None)
    except REFUSALS as exc:
        # Only the ledger's refusal is explained by doing the unit again; another statement's
        # error would only be met again.
        if not (in_one_unit and refused_by_ledger(exc)):
            raise
        async with conn.transaction():  # the ledger explains, and opens a missing agency account
            verdict, before = await _apply(conn, word, await _lock(conn, word), None)
    _tell(word.attempt_ref, verdict, before)
    return verdict


async def settle_together(conn: AsyncConnection, words: Sequence[Word]) -> list[Verdict | ResourceMissing]:
    """Each word's verdict (or ResourceMissing for an attempt there is not), all applied in
    one transaction in one go on ``conn`` (which is in none), for one COMMIT and fewer
    statements than one by one. Any error rolls the whole back and is raised: the caller then
    settles each word on its own (settle), which tells whose it was. Words name distinct
    attempts. Two of them may be of one intent: each is judged with the intent as the one
    before it left it."""
    assert len({word.attempt_ref for word in words}) == len(words), "one word per attempt"
    outcomes: list[tuple[Verdict, Attempt] | ResourceMissing] = []
    bookings: list[Transfer] = []
    async with transaction_in_one_go(conn):
        locked = await attempt_store.lock_with_intents(conn, [(w.attempt_ref, w.provider, w.livemode) for w in words])
        intents = {}
        for word in words:
            if word.attempt_ref not in locked:
                outcomes.append(_missing(word))
                continue
            intent, attempt, in_session = locked[word.attempt_ref]
            key = (intent.agency_code, intent.id)
            verdict, before = await _apply(conn, word, (intents.get(key, intent), attempt, in_session), bookings)
            intents[key] = verdict.intent
            outcomes.append((verdict, before))
        await _send_bookings(conn, bookings)
    for word, outcome in zip(words, outcomes, strict=True):
        if not isinstance(outcome, ResourceMissing):
            _tell(word.attempt_ref, *outcome)
    return [outcome if isinstance(outcome, ResourceMissing) else outcome[0] for outcome in outcomes]


async def _lock(conn: AsyncConnection, word: Word) -> attempt_store.Locked:
    locked = await attempt_store.lock_with_intents(conn, [(word.attempt_ref, word.provider, word.livemode)])
    if word.attempt_ref not in locked:
        raise _missing(word)
    return locked[word.attempt_ref]


def _missing(word: Word) -> ResourceMissing:
    return ResourceMissing(f"No such payment attempt: '{word.attempt_ref}'")


async def _apply(conn: AsyncConnection, word: Word, locked: attempt_store.Locked,
                 bookings: list[Transfer] | None) -> tuple[Verdict, Attempt]:
    """The verdict, applied in the transaction ``conn`` is in, and the attempt as it was.
    The payment's transfers go to ``bookings`` when given, for the caller to send as its
    transaction's last statement (see _send_bookings); otherwise they are posted here.

    The payment is booked last: the ledger then locks the agency's balance row, which every
    payment to that agency shares, and holds it until the commit, so nothing else may wait
    in between."""
    intent, attempt, in_session = locked
    now = datetime.now(UTC)
    verdict = decide(intent, attempt, word.result, now=now)
    if verdict.event_type:  # the intent changed with its attempt: one statement writes both, the events too
        event = new_event(Scope(agency_code=intent.agency_code, livemode=intent.livemode), verdict.event_type,
                          announcement(intent, verdict.intent), word.origin, now)
        await attempt_store.save_attempt_with_intent(conn, verdict.attempt, verdict.intent, event,
                                                     received=word.received, answer=verdict.answer.value)
    else:
        if verdict.attempt != attempt:
            await attempt_store.save_attempt(conn, verdict.attempt)
        if verdict.intent != intent:
            await store.save_intent(conn, verdict.intent)
        if word.received is not None:
            await attempt_store.record_provider_event(conn, word.received, word.attempt_ref, verdict.answer.value)
    if verdict.event_type == "payment_intent.succeeded":
        await record_what_was_paid(conn, verdict.intent)
        if in_session:
            await complete_session_paid_by(conn, verdict.intent, word.origin, now)
    if word.record is not None:
        await word.record(conn, verdict)
    if verdict.book_payment:
        if bookings is not None and not verdict.refund_automatically:
            bookings.extend(payment_transfers(verdict.intent, verdict.attempt))
        else:  # the refund below takes the money back from the agency: it must be booked first
            await book_payment(conn, verdict.intent, verdict.attempt)
    if verdict.refund_automatically:
        await refund_unneeded_payment(conn, verdict.intent, verdict.attempt, now=now)
    return verdict, attempt


async def _send_bookings(conn: AsyncConnection, bookings: list[Transfer]) -> None:
    """Unawaited, so only as the transaction's last statement before its COMMIT: a refusal
    surfaces where a later statement is read, and would pass for that one's."""
    if bookings:
        await send_linked_transfers(conn, bookings)


def _tell(attempt_ref: str, verdict: Verdict, before: Attempt) -> None:
    if verdict.attempt.status != before.status:
        PAYMENT_OUTCOMES.labels(before.provider, verdict.attempt.status).inc()
    if verdict.refund_automatically:
        log.warning("attempt %s paid intent %s, which needed no more money (%s): refunded it",
                    attempt_ref, verdict.intent.id, verdict.attempt.flag)
    if verdict.attempt.flag and verdict.attempt.flag != before.flag:
        log.warning("attempt %s flagged for finance staff: %s", attempt_ref, verdict.attempt.flag)
