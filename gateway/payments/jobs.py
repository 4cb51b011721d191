"""The jobs that settle what no message settled: attempts nobody called back about are
queried at their provider; refunds not yet sent are sent, and those sent are followed up.

An attempt the payer abandoned ends when its provider says so: VNPAY and MoMo fail an order
left unpaid past its expiry, and the VietQR adapter fails a QR no credit paid within its
validity. Money a payer pushed to our account (VietQR) is applied as the bank's credit
notification would have been, through the callback path, so that a credit found by the
query and its notification, whichever comes first, book the same thing once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from psycopg_pool import AsyncConnectionPool

from gateway.payments import attempt_store
from gateway.payments.callbacks import apply_provider_event
from gateway.payments.model import Attempt
from gateway.payments.outcomes import Result
from gateway.payments.settling import settle_attempt
from gateway.provider_setup import Providers
from gateway.refunds import store as refund_store
from gateway.refunds.operations import record_refund_result
from gateway.refunds.sending import ask_provider
from providers.errors import ProviderError
from providers.model import PaymentState, PaymentStatus
from providers.protocol import CallbackEvent, PaymentQuery, ProviderAdapter

log = logging.getLogger(__name__)

BATCH = 50  # per round: enough to keep up, few enough that a round stays short


@runtime_checkable
class FindsCredits(Protocol):
    """An adapter for money the payer pushes to our account (VietQR): it can list the credits
    that name an attempt, as the events their notifications carry, and tell the payment's
    status from them."""

    async def find_credits(self, query: PaymentQuery) -> list[CallbackEvent]: ...

    def status_from_credits(self, query: PaymentQuery, credits: list[CallbackEvent]) -> PaymentStatus: ...


async def query_quiet_attempts(pool: AsyncConnectionPool, providers: Providers, quiet_after: timedelta) -> int:
    """Ask each provider about its attempts that have been quiet for ``quiet_after``; an
    attempt it never heard of failed (the payer abandoned it). Returns how many settled."""
    async with pool.connection() as conn:
        attempts = await attempt_store.claim_quiet_attempts(conn, datetime.now(UTC) - quiet_after, BATCH)
    settled = 0
    for attempt in attempts:
        try:
            settled += await _query_attempt(pool, providers.for_mode(attempt.livemode)[attempt.provider], attempt)
        except ProviderError as problem:
            log.warning("status query of attempt %s at %s failed: %s", attempt.attempt_ref, attempt.provider,
                        problem.reason)
    return settled


async def _query_attempt(pool: AsyncConnectionPool, adapter: ProviderAdapter, attempt: Attempt) -> bool:
    """Whether the provider's answer changed the attempt."""
    query = PaymentQuery(attempt_ref=attempt.attempt_ref, created_at=attempt.created_at,
                         provider_ref=attempt.provider_ref)
    if isinstance(adapter, FindsCredits):  # one search of the account, not a second for the credits
        credits = await adapter.find_credits(query)
        if credits:
            for credit in credits:
                await apply_provider_event(pool, adapter.code, credit)
            async with pool.connection() as conn:
                return await attempt_store.get_attempt(conn, attempt.attempt_ref) != attempt
        status = adapter.status_from_credits(query, credits)
    else:
        status = await adapter.query_payment(query)
    if status.state == PaymentState.PENDING:
        return False
    abandoned = status.state == PaymentState.UNKNOWN
    result = Result(state=PaymentState.FAILED if abandoned else status.state, provider_ref=status.provider_ref,
                    amount_minor=status.amount_minor, currency=status.currency,
                    failure_code="abandoned" if abandoned else status.failure_code)
    async with pool.connection() as conn:
        verdict = await settle_attempt(conn, attempt.attempt_ref, result)
    return verdict.attempt != attempt


async def follow_refunds(pool: AsyncConnectionPool, providers: Providers, quiet_after: timedelta) -> int:
    """Send the refunds nobody has sent (automatic ones), and ask again about those sent
    ``quiet_after`` ago without an answer. Returns how many were resolved."""
    async with pool.connection() as conn:
        due = await refund_store.claim_due_refunds(conn, datetime.now(UTC) - quiet_after, BATCH)
    resolved = 0
    for refund_id, asked_before in due:
        async with pool.connection() as conn:
            refund = await refund_store.refund_by_id(conn, refund_id)
            attempt = await attempt_store.get_attempt(conn, refund.attempt_ref)
        result = await ask_provider(providers.for_mode(attempt.livemode), refund, attempt, asked_before=asked_before)
        if result is None:
            continue
        async with pool.connection() as conn:
            after = await record_refund_result(conn, refund_id, result)
        resolved += after.status != refund.status
    return resolved
