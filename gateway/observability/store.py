"""The database's side of the operator's metrics: small reads a scrape can afford."""

from __future__ import annotations

from datetime import date

import msgspec
from psycopg import AsyncConnection

# Each query is served by a partial index (pending deliveries, pending or flagged attempts,
# open exceptions) or a small table (one run per provider and day).
WEBHOOKS_PENDING = """
SELECT count(*), coalesce(extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now())), 0)
  FROM gateway.webhook_deliveries WHERE status = 'pending'
"""
ATTEMPTS_PENDING = "SELECT provider, count(*) FROM gateway.payment_attempts WHERE status = 'pending' GROUP BY provider"
ATTEMPTS_FLAGGED = """
SELECT provider, flag, count(*) FROM gateway.payment_attempts WHERE flag IS NOT NULL GROUP BY provider, flag
"""
EXCEPTIONS_OPEN = "SELECT count(*) FROM recon.exceptions WHERE status = 'open'"
LATEST_RUNS = """
SELECT DISTINCT ON (provider) provider, business_day, counts
  FROM recon.runs ORDER BY provider, business_day DESC
"""


class OperationsFigures(msgspec.Struct, frozen=True, kw_only=True):
    webhooks_pending: int
    oldest_due_s: float
    attempts_pending: list[tuple[str, int]]
    attempts_flagged: list[tuple[str, str, int]]
    exceptions_open: int
    latest_runs: list[tuple[str, date, dict[str, int]]]


async def operations_figures(conn: AsyncConnection) -> OperationsFigures:
    webhooks_pending, oldest_due_s = await (await conn.execute(WEBHOOKS_PENDING)).fetchone()
    return OperationsFigures(
        webhooks_pending=webhooks_pending,
        oldest_due_s=float(oldest_due_s),
        attempts_pending=await (await conn.execute(ATTEMPTS_PENDING)).fetchall(),
        attempts_flagged=await (await conn.execute(ATTEMPTS_FLAGGED)).fetchall(),
        exceptions_open=(await (await conn.execute(EXCEPTIONS_OPEN)).fetchone())[0],
        latest_runs=await (await conn.execute(LATEST_RUNS)).fetchall(),
    )
