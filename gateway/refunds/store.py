"""Refunds in ``gateway.refunds``; writes take the caller's connection and transaction."""

from __future__ import annotations

from datetime import datetime

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import class_row

from gateway.errors import ResourceMissing
from gateway.keys.model import Scope
from gateway.listing import Page, fetch_page
from gateway.refunds.model import Refund, RefundList

COLUMNS = """agency_code, id, livemode, intent_id, attempt_ref, amount_minor, currency, status, reason, metadata,
automatic, provider_ref, failure_reason, requested_at, created_at, resolved_at, idempotency_key"""

INSERT = f"""
INSERT INTO gateway.refunds ({COLUMNS})
VALUES (%(agency_code)s, %(id)s, %(livemode)s, %(intent_id)s, %(attempt_ref)s, %(amount_minor)s, %(currency)s,
        %(status)s, %(reason)s, %(metadata)s::jsonb, %(automatic)s, %(provider_ref)s, %(failure_reason)s,
        %(requested_at)s, %(created_at)s, %(resolved_at)s, %(idempotency_key)s)
"""

UPDATE = """
UPDATE gateway.refunds
   SET status = %(status)s, provider_ref = %(provider_ref)s, failure_reason = %(failure_reason)s,
       requested_at = %(requested_at)s, resolved_at = %(resolved_at)s
 WHERE id = %(id)s
"""

SELECT = f"SELECT {COLUMNS} FROM gateway.refunds WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = %(id)s"

SELECT_BY_ID = f"SELECT {COLUMNS} FROM gateway.refunds WHERE id = %(id)s"

# What has been, or is being, given back of an attempt's payment: the most that may still be.
REFUNDED_OF_ATTEMPT = """
SELECT coalesce(sum(amount_minor), 0)::bigint FROM gateway.refunds
 WHERE attempt_ref = %(attempt_ref)s AND status = ANY(%(statuses)s)
"""

# Pending refunds not yet sent, or sent a while ago without an answer, marked as asked now;
# SKIP LOCKED so that every server process may run the job.
CLAIM_DUE = """
WITH due AS (
    SELECT id, requested_at AS asked_at FROM gateway.refunds
     WHERE status = 'pending' AND (requested_at IS NULL OR requested_at < %(asked_before)s)
     ORDER BY created_at
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE gateway.refunds r SET requested_at = now() FROM due WHERE r.id = due.id
RETURNING r.id, due.asked_at
"""


async def insert_refund(conn: AsyncConnection, refund: Refund) -> None:
    await conn.execute(INSERT, msgspec.structs.asdict(refund) | {"metadata": msgspec.json.encode(refund.metadata).decode()})


async def save_refund(conn: AsyncConnection, refund: Refund) -> None:
    await conn.execute(UPDATE, msgspec.structs.asdict(refund))


async def refund_for_idempotency_key(conn: AsyncConnection, scope: Scope, intent_id: str,
                                     idempotency_key: str) -> Refund | None:
    async with conn.cursor(row_factory=class_row(Refund)) as cur:
        await cur.execute(f"SELECT {COLUMNS} FROM gateway.refunds WHERE agency_code = %s AND livemode = %s"
                          " AND intent_id = %s AND idempotency_key = %s",
                          (scope.agency_code, scope.livemode, intent_id, idempotency_key))
        return await cur.fetchone()


async def get_refund(conn: AsyncConnection, scope: Scope, refund_id: str) -> Refund:
    async with conn.cursor(row_factory=class_row(Refund)) as cur:
        await cur.execute(SELECT, {"agency_code": scope.agency_code, "livemode": scope.livemode, "id": refund_id})
        refund = await cur.fetchone()
    if refund is None:
        raise ResourceMissing(f"No such refund: '{refund_id}'", param="id")
    return refund


async def refund_by_id(conn: AsyncConnection, refund_id: str, *, for_update: bool = False) -> Refund:
    """A refund of any agency, for the gateway's own jobs; ``for_update`` holds it until the
    caller's transaction ends."""
    async with conn.cursor(row_factory=class_row(Refund)) as cur:
        await cur.execute(SELECT_BY_ID + (" FOR UPDATE" if for_update else ""), {"id": refund_id})
        refund = await cur.fetchone()
    assert refund is not None, f"refund {refund_id} vanished"
    return refund


async def refunded_minor(conn: AsyncConnection, attempt_ref: str, *, succeeded_only: bool = False) -> int:
    """What has been given back of an attempt's payment, or (by default) is being given back
    too: the most that may still be refunded is the rest."""
    statuses = ["succeeded"] if succeeded_only else ["pending", "succeeded"]
    row = await (await conn.execute(REFUNDED_OF_ATTEMPT, {"attempt_ref": attempt_ref, "statuses": statuses})).fetchone()
    return row[0]


async def claim_due_refunds(conn: AsyncConnection, asked_before: datetime, limit: int) -> list[tuple[str, bool]]:
    """(refund id, whether the provider was asked before) for each pending refund never sent,
    or sent before ``asked_before``; each is marked as asked now, so that every process may
    run the refund job and each refund is followed once a period."""
    rows = await (await conn.execute(CLAIM_DUE, {"asked_before": asked_before, "limit": limit})).fetchall()
    return [(refund_id, asked_at is not None) for refund_id, asked_at in rows]


async def list_refunds(conn: AsyncConnection, scope: Scope, params: RefundList) -> Page:
    filters = {"intent_id": params.payment_intent} if params.payment_intent else None
    return await fetch_page(conn, table="refunds", columns=COLUMNS, row_factory=class_row(Refund), scope=scope,
                            params=params, filters=filters)
