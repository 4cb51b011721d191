"""Webhook endpoints and deliveries in PostgreSQL. Writes take the caller's connection."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import class_row

from gateway.errors import ResourceMissing
from gateway.events.model import Event
from gateway.events.model import as_resource as as_event_resource
from gateway.keys.model import Scope
from gateway.listing import ListParams, Page, fetch_page
from gateway.webhooks.model import WebhookEndpoint

COLUMNS = "agency_code, id, livemode, url, enabled_events, description, metadata, status, api_version, secret, created_at"

# The channel the worker listens on; the trigger that fans events out (gateway migration 0009)
# notifies it in the event's transaction, so the notification arrives at commit.
CHANNEL = "publicpay_webhooks"


async def insert_endpoint(conn: AsyncConnection, endpoint: WebhookEndpoint) -> None:
    await conn.execute(
        f"INSERT INTO gateway.webhook_endpoints ({COLUMNS}) VALUES (%(agency_code)s, %(id)s, %(livemode)s, %(url)s,"
        " %(enabled_events)s, %(description)s, %(metadata)s::jsonb, %(status)s, %(api_version)s, %(secret)s,"
        " %(created_at)s)", _row(endpoint))


async def save_endpoint(conn: AsyncConnection, endpoint: WebhookEndpoint) -> None:
    await conn.execute(
        "UPDATE gateway.webhook_endpoints SET url = %(url)s, enabled_events = %(enabled_events)s,"
        " description = %(description)s, metadata = %(metadata)s::jsonb, status = %(status)s"
        " WHERE agency_code = %(agency_code)s AND id = %(id)s", _row(endpoint))


async def delete_endpoint(conn: AsyncConnection, scope: Scope, endpoint_id: str) -> None:
    await get_endpoint(conn, scope, endpoint_id)
    await conn.execute("DELETE FROM gateway.webhook_endpoints WHERE agency_code = %s AND id = %s",
                       (scope.agency_code, endpoint_id))


async def get_endpoint(conn: AsyncConnection, scope: Scope, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint:
    async with conn.cursor(row_factory=class_row(WebhookEndpoint)) as cur:
        await cur.execute(f"SELECT {COLUMNS} FROM gateway.webhook_endpoints WHERE agency_code = %s AND livemode = %s"
                          f" AND id = %s" + (" FOR UPDATE" if for_update else ""),
                          (scope.agency_code, scope.livemode, endpoint_id))
        endpoint = await cur.fetchone()
    if endpoint is None:
        raise ResourceMissing(f"No such webhook endpoint: '{endpoint_id}'", param="id")
    return endpoint


async def list_endpoints(conn: AsyncConnection, scope: Scope, params: ListParams) -> Page:
    return await fetch_page(conn, table="webhook_endpoints", columns=COLUMNS,
                            row_factory=class_row(WebhookEndpoint), scope=scope, params=params)


class DueDelivery(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    attempts: int
    created_at: datetime
    endpoint_id: str
    url: str
    secret: str
    payload: bytes


# Claimed rows are leased: pushed into the future, so that a worker that dies mid-delivery
# leaves them due again after the lease rather than lost; SKIP LOCKED keeps two workers
# from claiming the same row.
CLAIM = """
UPDATE gateway.webhook_deliveries d SET next_attempt_at = now() + %(lease)s
  FROM (SELECT id FROM gateway.webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= now()
         ORDER BY next_attempt_at LIMIT %(batch)s FOR UPDATE SKIP LOCKED) due,
       gateway.webhook_endpoints w, gateway.events e
 WHERE d.id = due.id AND w.agency_code = d.agency_code AND w.id = d.endpoint_id
   AND e.agency_code = d.agency_code AND e.id = d.event_id
RETURNING d.id, d.attempts, d.created_at, d.endpoint_id, w.url, w.secret,
          e.agency_code, e.id, e.livemode, e.type, e.api_version, e.data, e.request_id, e.idempotency_key, e.created_at
"""


async def claim_due(conn: AsyncConnection, batch: int, lease: timedelta) -> list[DueDelivery]:
    """Due deliveries, each with its endpoint and the event exactly as /v1/events shows it."""
    rows = await (await conn.execute(CLAIM, {"batch": batch, "lease": lease})).fetchall()
    return [DueDelivery(id=row[0], attempts=row[1], created_at=row[2], endpoint_id=row[3], url=row[4], secret=row[5],
                        payload=msgspec.json.encode(as_event_resource(Event(**dict(zip(EVENT_FIELDS, row[6:]))))))
            for row in rows]


EVENT_FIELDS = ("agency_code", "id", "livemode", "type", "api_version", "data", "request_id", "idempotency_key",
                "created_at")


async def record_attempt(conn: AsyncConnection, delivery_id: int, attempt: int, *, at: datetime,
                         http_status: int | None, error: str | None, duration_ms: int,
                         next_attempt_at: datetime | None, succeeded: bool) -> None:
    """The attempt, and what follows: done, tried again at ``next_attempt_at``, or given up (None)."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO gateway.webhook_attempts (delivery_id, attempt, at, http_status, error, duration_ms)"
            " VALUES (%s, %s, %s, %s, %s, %s)", (delivery_id, attempt, at, http_status, error, duration_ms))
        status = "succeeded" if succeeded else ("pending" if next_attempt_at else "failed")
        await conn.execute(
            "UPDATE gateway.webhook_deliveries SET status = %s, attempts = %s, next_attempt_at = coalesce(%s, next_attempt_at)"
            " WHERE id = %s", (status, attempt, next_attempt_at, delivery_id))


def _row(endpoint: WebhookEndpoint) -> dict:
    return msgspec.structs.asdict(endpoint) | {"metadata": msgspec.json.encode(endpoint.metadata).decode()}
