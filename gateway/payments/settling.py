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
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

from psycopg import AsyncConnection, pq

from gateway.errors import ResourceMissing
from gateway.events.store import Origin, new_event
from gateway.keys.model import Scope
from gateway.observability.metrics import PAYMENT_OUTCOMES
from gateway.payments import attempt_store, store
from gateway.payments.booking import book_payment, record_what_was_paid
from gateway.payments.model import Attempt
from gateway.payments.operations import announcement
from gateway.payments.outcomes import Result, Verdict, decide
from gateway.refunds.automatic import refund_unneeded_payment
from gateway.sessions.completion import complete_session_paid_by
from ledger.store import REFUSALS, refused_by_ledger

log = logging.getLogger(__name__)


async def settle_attempt(conn: AsyncConnection, attempt_ref: str, result: Result, origin: Origin = Origin(), *,
                         provider: str | None = None, livemode: bool | None = None,
                         received: attempt_store.Received | None = None,
                         record: Callable[[Verdict], Awaitable[None]] | None = None) -> Verdict:
    """In the caller's transaction (one is opened if it has none), with ``received`` (the
    provider event that brought the word, recorded with the verdict's answer) and whatever
    ``record`` writes (what else the caller keeps with the change). ResourceMissing when no
    attempt is ``attempt_ref`` (at ``provider``, and of that mode, if given).

    The payment is booked last: the ledger then locks the agency's balance row, which every
    payment to that agency shares, and holds it until the commit, so nothing else may wait
    in between."""
    in_one_unit = conn.info.transaction_status == pq.TransactionStatus.IDLE
    settle = functools.partial(_settle, conn, attempt_ref, result, origin, provider, livemode, received, record)
    try:
        async with _transaction_in_one_go(conn) if in_one_unit else conn.transaction():
            verdict, before = await settle(in_one_unit=in_one_unit)
    except REFUSALS as exc:
        # Only the ledger's refusal is explained by doing the unit again; another statement's
        # error would only be met again.
        if not (in_one_unit and refused_by_ledger(exc)):
            raise
        async with conn.transaction():  # the ledger explains, and opens a missing agency account
            verdict, before = await settle(in_one_unit=False)
    if verdict.attempt.status != before.status:
        PAYMENT_OUTCOMES.labels(before.provider, verdict.attempt.status).inc()
    if verdict.refund_automatically:
        log.warning("attempt %s paid intent %s, which needed no more money (%s): refunded it",
                    attempt_ref, verdict.intent.id, verdict.attempt.flag)
    if verdict.attempt.flag and verdict.attempt.flag != before.flag:
        log.warning("attempt %s flagged for finance staff: %s", attempt_ref, verdict.attempt.flag)
    return verdict


async def _settle(conn: AsyncConnection, attempt_ref: str, result: Result, origin: Origin, provider: str | None,
                  livemode: bool | None, received: attempt_store.Received | None, record: Callable[[Verdict], Awaitable[None]] | None, *,
                  in_one_unit: bool) -> tuple[Verdict, Attempt]:
    """The verdict, applied in the transaction ``conn`` is in, and the attempt as it was."""
    locked = await attempt_store.lock_with_intent(conn, attempt_ref, provider, livemode)
    if locked is None:
        raise ResourceMissing(f"No such payment attempt: '{attempt_ref}'")
    intent, attempt, in_session = locked
    now = datetime.now(UTC)
    verdict = decide(intent, attempt, result, now=now)
    if verdict.event_type:  # the intent changed with its attempt: one statement writes both, the events too
        event = new_event(Scope(agency_code=intent.agency_code, livemode=intent.livemode), verdict.event_type,
                          announcement(intent, verdict.intent), origin, now)
        await attempt_store.save_attempt_with_intent(conn, verdict.attempt, verdict.intent, event, received=received,
                                                     answer=verdict.answer.value)
    else:
        if verdict.attempt != attempt:
            await attempt_store.save_attempt(conn, verdict.attempt)
        if verdict.intent != intent:
            await store.save_intent(conn, verdict.intent)
        if received is not None:
            await attempt_store.record_provider_event(conn, received, attempt_ref, verdict.answer.value)
    if verdict.event_type == "payment_intent.succeeded":
        await record_what_was_paid(conn, verdict.intent)
        if in_session:
            await complete_session_paid_by(conn, verdict.intent, origin, now)
    if record is not None:
        await record(verdict)
    if verdict.book_payment:
        # Unawaited only as the unit's last statement: a refusal surfaces where a later
        # statement is read, and would pass for that one's (the refund's, below).
        await book_payment(conn, verdict.intent, verdict.attempt,
                           in_one_unit=in_one_unit and not verdict.refund_automatically)
    if verdict.refund_automatically:  # after the booking: it takes the money back from the agency
        await refund_unneeded_payment(conn, verdict.intent, verdict.attempt, now=now)
    return verdict, attempt


@contextlib.asynccontextmanager
async def _transaction_in_one_go(conn: AsyncConnection) -> AsyncIterator[None]:
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
