"""Applying a provider's verified word about an attempt: the attempt's and intent's change,
the ledger transfer, the catalogue's records and the outgoing event, in one transaction.

Whoever brings the word (a callback, the payer's return, the status-query job, the card
acquirer's synchronous answer), the intent's row is locked first and the attempt's second,
so concurrent copies of one message apply one after the other and the second finds nothing
left to do (gateway.payments.outcomes.decide).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from psycopg import AsyncConnection

from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.observability.metrics import PAYMENT_OUTCOMES
from gateway.payments import attempt_store, store
from gateway.payments.booking import book_payment, record_what_was_paid
from gateway.payments.operations import announce
from gateway.payments.outcomes import Result, Verdict, decide
from gateway.refunds.automatic import refund_unneeded_payment
from gateway.sessions.completion import complete_session_paid_by

log = logging.getLogger(__name__)


async def settle_attempt(conn: AsyncConnection, attempt_ref: str, result: Result, origin: Origin = Origin(), *,
                         record: Callable[[Verdict], Awaitable[None]] | None = None) -> Verdict:
    """In the caller's transaction (one is opened if it has none). ``record`` writes what
    the caller keeps with the change (a callback's provider event) in the same transaction.

    The payment is booked last: the ledger then locks the agency's balance row, which every
    payment to that agency shares, and holds it until the commit, so nothing else may wait
    in between."""
    async with conn.transaction():
        known = await attempt_store.get_attempt(conn, attempt_ref)
        scope = Scope(agency_code=known.agency_code, livemode=known.livemode)
        intent = await store.get_intent(conn, scope, known.intent_id, for_update=True)
        attempt = await attempt_store.get_attempt(conn, attempt_ref)  # now stable: its intent is locked
        now = datetime.now(UTC)
        verdict = decide(intent, attempt, result, now=now)
        if verdict.attempt != attempt:
            await attempt_store.save_attempt(conn, verdict.attempt)
            if verdict.attempt.status != attempt.status:
                PAYMENT_OUTCOMES.labels(attempt.provider, verdict.attempt.status).inc()
        if verdict.intent != intent:
            await store.save_intent(conn, verdict.intent)
        if verdict.event_type == "payment_intent.succeeded":
            await record_what_was_paid(conn, verdict.intent)
        if verdict.event_type:
            await announce(conn, scope, verdict.event_type, intent, verdict.intent, origin, now)
        if verdict.event_type == "payment_intent.succeeded":
            await complete_session_paid_by(conn, verdict.intent, origin, now)
        if record is not None:
            await record(verdict)
        if verdict.book_payment:
            await book_payment(conn, verdict.intent, verdict.attempt)
        if verdict.refund_automatically:  # after the booking: it takes the money back from the agency
            log.warning("attempt %s paid intent %s, which needed no more money (%s): refunding it",
                        attempt_ref, intent.id, verdict.attempt.flag)
            await refund_unneeded_payment(conn, verdict.intent, verdict.attempt, now=now)
        if verdict.attempt.flag and verdict.attempt.flag != attempt.flag:
            log.warning("attempt %s flagged for finance staff: %s", attempt_ref, verdict.attempt.flag)
        return verdict
