"""Work each server process does beside answering requests: delivering webhooks, voiding
pending ledger transfers whose timeout has passed, querying providers about quiet attempts,
following refunds and deleting expired idempotency keys. All are safe to run in every
process at once (SKIP LOCKED claims and deletes; a pending transfer is resolved at most
once; an attempt is settled once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from psycopg_pool import AsyncConnectionPool

from gateway.idempotency.store import delete_expired_keys
from gateway.nightly import nightly_reconciliation
from gateway.payments.jobs import follow_refunds, query_quiet_attempts
from gateway.provider_setup import Providers
from gateway.sessions.operations import expire_due_sessions
from gateway.settings import Settings
from gateway.webhooks.delivery import run_delivery_worker
from ledger.store import expire_pending_transfers

log = logging.getLogger(__name__)

# Expired keys answer as absent whether deleted or not: deleting them only bounds the table.
IDEMPOTENCY_CLEANUP_INTERVAL_S = 600
# Beyond a delivery's timeout, for its attempt to be recorded.
STOP_MARGIN_S = 1.0


async def run_every(interval_s: float, job: Callable[[], Awaitable[int]], what: str, stop: asyncio.Event) -> None:
    """Every ``interval_s``, run ``job``, which returns how many things it did."""
    while not stop.is_set():
        try:
            done = await job()
            if done:
                log.info("%s: %d", what, done)
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("%s failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


async def expire_pending(pool: AsyncConnectionPool) -> int:
    async with pool.connection() as conn:
        return len(await expire_pending_transfers(conn))


async def delete_expired_idempotency_keys(pool: AsyncConnectionPool) -> int:
    async with pool.connection() as conn:
        return await delete_expired_keys(conn)


@contextlib.asynccontextmanager
async def background_jobs(pool: AsyncConnectionPool, providers: Providers,
                          settings: Settings) -> AsyncIterator[AsyncIOScheduler | None]:
    """The jobs run while the block runs, and stop with it. Yields the nightly
    reconciliation's scheduler (None when PUBLICPAY_RECONCILIATION_AT is off)."""
    stop = asyncio.Event()
    quiet = timedelta(milliseconds=settings.attempt_query_after_ms)
    poll_s = settings.status_poll_ms / 1000
    jobs = [asyncio.create_task(run_delivery_worker(pool, settings, stop)),
            asyncio.create_task(run_every(settings.ledger_expiry_poll_ms / 1000, partial(expire_pending, pool),
                                          "voided timed-out pending transfers", stop)),
            asyncio.create_task(run_every(poll_s, partial(query_quiet_attempts, pool, providers, quiet),
                                          "settled quiet attempts by status query", stop)),
            asyncio.create_task(run_every(poll_s, partial(follow_refunds, pool, providers, quiet),
                                          "resolved refunds", stop)),
            asyncio.create_task(run_every(IDEMPOTENCY_CLEANUP_INTERVAL_S,
                                          partial(delete_expired_idempotency_keys, pool),
                                          "deleted expired idempotency keys", stop)),
            asyncio.create_task(run_every(poll_s, partial(expire_due_sessions, pool),
                                          "expired checkout sessions past their expires_at", stop))]
    try:
        async with nightly_reconciliation(pool, providers, settings) as nightly:
            yield nightly
    finally:
        stop.set()
        # Each job ends its round: a webhook delivery in flight is answered and recorded, not
        # cut off to be sent again. A round that outlasts a delivery's timeout is cancelled
        # (its transaction rolls back; the next process to run it does it again).
        _, unfinished = await asyncio.wait(jobs, timeout=settings.webhook_timeout_ms / 1000 + STOP_MARGIN_S)
        for job in unfinished:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
