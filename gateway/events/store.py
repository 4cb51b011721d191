"""The outbox, ``gateway.events``: appended in the caller's transaction, read by the API and
by webhook delivery. Inserting an event fans it out to the webhook endpoints enabled for it
(a trigger, gateway migration 0009)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import class_row

from gateway.errors import ResourceMissing
from gateway.events.model import Event, EventList
from gateway.identifiers import new_id
from gateway.keys.model import Scope
from gateway.listing import Page, fetch_page

COLUMNS = "agency_code, id, livemode, type, api_version, data, request_id, idempotency_key, created_at"


class Origin(msgspec.Struct, frozen=True, kw_only=True):
    """The API request that caused an event, as Stripe reports it in ``event.request``."""

    request_id: str | None = None
    idempotency_key: str | None = None
    api_version: str | None = None


def new_event(scope: Scope, event_type: str, data: dict[str, Any], origin: Origin, now: datetime) -> Event:
    return Event(
        agency_code=scope.agency_code, id=new_id("evt"), livemode=scope.livemode, type=event_type,
        api_version=origin.api_version, data=data, request_id=origin.request_id,
        idempotency_key=origin.idempotency_key, created_at=now,
    )


def insert_statement(prefix: str = "") -> str:
    """An event's INSERT, with its parameters named ``prefix`` + column, so that a statement
    writing another row can write the event too (a PaymentIntent's creation does)."""
    values = ", ".join(f"%({prefix}{column})s::jsonb" if column == "data" else f"%({prefix}{column})s"
                       for column in COLUMNS.split(", "))
    return f"INSERT INTO gateway.events ({COLUMNS}) VALUES ({values})"


def insert_params(event: Event, prefix: str = "") -> dict[str, Any]:
    row = msgspec.structs.asdict(event) | {"data": msgspec.json.encode(event.data).decode()}
    return {prefix + column: value for column, value in row.items()}


INSERT = insert_statement()


async def append_event(
    conn: AsyncConnection, scope: Scope, event_type: str, data: dict[str, Any], origin: Origin, now: datetime
) -> Event:
    event = new_event(scope, event_type, data, origin, now)
    await conn.execute(INSERT, insert_params(event))
    return event


async def get_event(conn: AsyncConnection, scope: Scope, event_id: str) -> Event:
    async with conn.cursor(row_factory=class_row(Event)) as cur:
        await cur.execute(
            f"SELECT {COLUMNS} FROM gateway.events"
            " WHERE agency_code = %s AND livemode = %s AND id = %s",
            (scope.agency_code, scope.livemode, event_id),
        )
        event = await cur.fetchone()
    if event is None:
        raise ResourceMissing(f"No such event: '{event_id}'", param="id")
    return event


async def list_events(conn: AsyncConnection, scope: Scope, params: EventList) -> Page:
    return await fetch_page(conn, table="events", columns=COLUMNS, row_factory=class_row(Event), scope=scope,
                            params=params, filters={"type": params.type} if params.type else None)
