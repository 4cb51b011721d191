"""What the gateway lends reconciliation: its providers' status queries, the booking of a
payment the provider proves paid through the gateway's own settling of the attempt, and
the attempts whose payment it refused for their amount.

Reconciliation may not import the gateway (the arrows point down), so the nightly job, the
``publicpay reconcile`` command and the console hand it a :class:`Recovery` built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager

from psycopg import AsyncConnection
from psycopg.rows import class_row

from gateway.payments import attempt_store
from gateway.payments.model import AttemptFlag, AttemptStatus
from gateway.payments.outcomes import Result
from gateway.payments.settling import settle_attempt
from gateway.provider_setup import Providers
from providers.errors import ProviderError
from providers.model import PaymentState, PaymentStatus
from providers.protocol import PaymentQuery
from reconciliation.recovery import QueryStatus, Recovered, Recovery, RefusedAttempt

Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection]]  # e.g. pool.connection

PAYMENT_TRANSFERS = """
SELECT id FROM ledger.transfers WHERE external_ref = %s AND kind = 'payment' AND phase = 'posted' ORDER BY id
"""

# The references of one run's missing lines, in one statement (a file may hold thousands).
REFUSED_ATTEMPTS = """
SELECT attempt_ref, intent_id, status, flag, amount_minor, currency, created_at FROM gateway.payment_attempts
 WHERE attempt_ref = ANY(%(attempt_refs)s) AND provider = %(provider)s
   AND flag = %(refused_flag)s AND status <> %(paid)s
"""


def status_query(providers: Providers, connect: Connect) -> QueryStatus:
    """Ask an attempt's provider about it, as the quiet-attempt job does."""

    async def query_status(provider: str, attempt_ref: str) -> PaymentStatus:
        adapter = providers.adapters.get(provider)
        if adapter is None:
            raise ProviderError(f"no adapter for provider {provider!r}")
        # A provider is asked about an attempt by its reference and creation time (VNPAY
        # needs both); a reference the gateway never issued cannot be asked about.
        async with connect() as conn:
            attempt = await attempt_store.find_attempt(conn, attempt_ref)
        if attempt is None or attempt.provider != provider:
            raise ProviderError(f"the gateway has no payment attempt {attempt_ref!r} at {provider} to ask about")
        return await adapter.query_payment(PaymentQuery(attempt_ref=attempt_ref, created_at=attempt.created_at,
                                                        provider_ref=attempt.provider_ref))

    return query_status


async def book_paid(conn: AsyncConnection, provider: str, attempt_ref: str, status: PaymentStatus) -> Recovered | None:
    """Settle the attempt as the provider's answer says, in the caller's transaction: the
    intent succeeds, its payment is booked to its agencies and its event written, once
    (an attempt already paid is left as it is). None when no attempt of ours at this
    provider is paid by it, or its amount differs (the attempt is flagged then)."""
    attempt = await attempt_store.find_attempt(conn, attempt_ref)
    if attempt is None or attempt.provider != provider:
        return None
    verdict = await settle_attempt(conn, attempt_ref, Result(
        state=PaymentState.SUCCEEDED, provider_ref=status.provider_ref, amount_minor=status.amount_minor,
        currency=status.currency))
    if verdict.attempt.status != AttemptStatus.SUCCEEDED:
        return None
    rows = await (await conn.execute(PAYMENT_TRANSFERS, (attempt_ref,))).fetchall()
    return Recovered(transfer_ids=tuple(row[0] for row in rows), booked_now=verdict.book_payment)


async def refused_attempts(conn: AsyncConnection, provider: str,
                           attempt_refs: Sequence[str]) -> dict[str, RefusedAttempt]:
    """Those of the references that name an attempt of ours at ``provider`` whose payment
    was refused for its amount (flagged amount_mismatch, never paid): nothing was booked."""
    async with conn.cursor(row_factory=class_row(RefusedAttempt)) as cur:
        await cur.execute(REFUSED_ATTEMPTS, {"provider": provider, "attempt_refs": list(attempt_refs),
                                             "refused_flag": AttemptFlag.AMOUNT_MISMATCH,
                                             "paid": AttemptStatus.SUCCEEDED})
        return {attempt.attempt_ref: attempt for attempt in await cur.fetchall()}


def gateway_recovery(providers: Providers, connect: Connect) -> Recovery:
    return Recovery(query_status=status_query(providers, connect), book_paid=book_paid,
                    refused_attempts=refused_attempts)
