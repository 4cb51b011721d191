"""Work each server process does beside answering requests: delivering webhooks, and voiding
pending ledger transfers whose timeout has passed. Both are safe to run in every process at
once (SKIP LOCKED claims; a pending transfer is resolved at most once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from psycopg_pool import AsyncConnectionPool

from gateway.settings import Settings
from gateway.webhooks.delivery import run_delivery_worker
from ledger.store import expire_pending_transfers

log = logging.getLogger(__name__)


async def run_pending_expiry(pool: AsyncConnectionPool, interval_s: float, stop: asyncio.Event) -> None:
    """Every ``interval_s``, void the pending transfers that have timed out."""
    while not stop.is_set():
        try:
            async with pool.connection() as conn:
                expired = await expire_pending_transfers(conn)
            if expired:
                log.info("voided %d timed-out pending transfer(s)", len(expired))
        except Exception:  # a failed round must not end the loop; the next one retries
            log.exception("expiring pending transfers failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


@contextlib.asynccontextmanager
async def background_jobs(pool: AsyncConnectionPool, settings: Settings) -> AsyncIterator[None]:
    """The jobs run while the block runs, and stop with it."""
    stop = asyncio.Event()
    jobs = [asyncio.create_task(run_delivery_worker(pool, settings, stop)),
            asyncio.create_task(run_pending_expiry(pool, settings.ledger_expiry_poll_ms / 1000, stop))]
    try:
        yield
    finally:
        stop.set()
        for job in jobs:
            job.cancel()
        for job in jobs:
            with contextlib.suppress(asyncio.CancelledError):
                await job
