"""The jobs that settle what no message settled: attempts nobody called back about are
queried at their provider; refunds not yet sent are sent, and those sent are followed up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from gateway.payments import attempt_store
from gateway.payments.outcomes import Result
from gateway.payments.settling import settle_attempt
from gateway.provider_setup import Providers
from gateway.refunds import store as refund_store
from gateway.refunds.operations import record_refund_result
from gateway.refunds.sending import ask_provider
from providers.errors import ProviderError
from providers.model import PaymentState
from providers.protocol import PaymentQuery

log = logging.getLogger(__name__)

BATCH = 50  # per round: enough to keep up, few enough that a round stays short


async def query_quiet_attempts(pool: AsyncConnectionPool, providers: Providers, quiet_after: timedelta) -> int:
    """Ask each provider about its attempts that have been quiet for ``quiet_after``; an
    attempt it never heard of failed (the payer abandoned it). Returns how many settled."""
    async with pool.connection() as conn:
        attempts = await attempt_store.claim_quiet_attempts(conn, datetime.now(UTC) - quiet_after, BATCH)
    settled = 0
    for attempt in attempts:
        try:
            status = await providers.adapters[attempt.provider].query_payment(PaymentQuery(
                attempt_ref=attempt.attempt_ref, created_at=attempt.created_at, provider_ref=attempt.provider_ref))
        except ProviderError as problem:
            log.warning("status query of attempt %s at %s failed: %s", attempt.attempt_ref, attempt.provider,
                        problem.reason)
            continue
        if status.state == PaymentState.PENDING:
            continue
        abandoned = status.state == PaymentState.UNKNOWN
        result = Result(state=PaymentState.FAILED if abandoned else status.state, provider_ref=status.provider_ref,
                        amount_minor=status.amount_minor, currency=status.currency,
                        failure_code="abandoned" if abandoned else status.failure_code)
        async with pool.connection() as conn:
            verdict = await settle_attempt(conn, attempt.attempt_ref, result)
        settled += verdict.attempt != attempt
    return settled


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
        result = await ask_provider(providers.adapters, refund, attempt, asked_before=asked_before)
        if result is None:
            continue
        async with pool.connection() as conn:
            after = await record_refund_result(conn, refund_id, result)
        resolved += after.status != refund.status
    return resolved
