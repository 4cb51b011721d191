"""The outbox worker: posts each due delivery to its endpoint, signed as Stripe signs,
records the attempt, and retries with back-off for up to three days (at least once)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
from psycopg_pool import AsyncConnectionPool

from gateway.observability.metrics import WEBHOOK_ATTEMPTS
from gateway.settings import Settings
from gateway.webhooks import store
from gateway.webhooks.signing import retry_delay_s, signature_header

log = logging.getLogger(__name__)

BATCH = 50
GIVE_UP_AFTER = timedelta(days=3)


async def run_delivery_worker(pool: AsyncConnectionPool, settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until ``stop`` is set. Woken by NOTIFY when an event is written; polls too."""
    timeout_s = settings.webhook_timeout_ms / 1000
    # The lease outlives the slowest attempt, so a claimed row is never claimed twice.
    lease = timedelta(seconds=timeout_s * 2 + 5)
    async with httpx.AsyncClient(timeout=timeout_s) as client, pool.connection() as listener:
        await listener.execute(f"LISTEN {store.CHANNEL}")
        in_flight: set[asyncio.Task] = set()
        try:
            while not stop.is_set():
                try:
                    async with pool.connection() as conn:
                        due = await store.claim_due(conn, BATCH, lease)
                except Exception:  # the database may be restarting: the worker must outlive it
                    log.exception("claiming webhook deliveries failed; trying again")
                    due = []
                for delivery in due:
                    # Each delivery in a task of its own: a slow endpoint holds only its own.
                    task = asyncio.create_task(_deliver(pool, client, delivery, settings))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                if len(due) < BATCH:
                    await _wait_for_work(listener, settings.webhook_poll_ms / 1000)
            # Stopping: no new claims; the deliveries in flight end within their timeout.
            if in_flight:
                await asyncio.wait(set(in_flight))
        finally:  # cancelled: what is cut off stays claimed, and is due again after its lease
            for task in in_flight:
                task.cancel()


async def _wait_for_work(listener, poll_s: float) -> None:
    try:
        async for _ in listener.notifies(timeout=poll_s, stop_after=1):
            return
    except Exception:  # a lost listening connection: fall back to polling
        log.exception("waiting for webhook notifications failed; polling instead")
        await asyncio.sleep(poll_s)


async def _deliver(pool: AsyncConnectionPool, client: httpx.AsyncClient, delivery: store.DueDelivery,
                   settings: Settings) -> None:
    attempt = delivery.attempts + 1
    started, now = time.perf_counter(), datetime.now(UTC)
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature_header(
        delivery.payload, delivery.secret, int(now.timestamp())), "User-Agent": "publicpay-webhooks/1"}
    http_status = error = None
    try:
        response = await client.post(delivery.url, content=delivery.payload, headers=headers)
        http_status = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    succeeded = http_status is not None and 200 <= http_status < 300
    next_attempt_at = None
    if not succeeded:
        delay_s = retry_delay_s(attempt, settings.webhook_retry_base_ms / 1000) * random.uniform(1.0, 1.25)
        if now + timedelta(seconds=delay_s) < delivery.created_at + GIVE_UP_AFTER:
            next_attempt_at = now + timedelta(seconds=delay_s)
    async with pool.connection() as conn:
        await store.record_attempt(conn, delivery.id, attempt, at=now, http_status=http_status, error=error,
                                   duration_ms=round((time.perf_counter() - started) * 1000),
                                   next_attempt_at=next_attempt_at, succeeded=succeeded)
    WEBHOOK_ATTEMPTS.labels("succeeded" if succeeded else "failed").inc()
    if not succeeded:
        log.info("webhook %s to %s failed (attempt %d): %s", delivery.id, delivery.url, attempt, error or http_status)
