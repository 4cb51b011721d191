"""A Checkout Session's events (``checkout.session.completed``, ``checkout.session.expired``),
written to the outbox in the caller's transaction, with the change they announce."""

from __future__ import annotations

from datetime import datetime

import msgspec
from psycopg import AsyncConnection

from gateway.events.store import Origin, append_event
from gateway.keys.model import Scope
from gateway.sessions import store
from gateway.sessions.model import CheckoutSession, as_resource


async def save_and_announce(conn: AsyncConnection, session: CheckoutSession, event_type: str, origin: Origin,
                            now: datetime) -> None:
    await store.save_status(conn, session)
    scope = Scope(agency_code=session.agency_code, livemode=session.livemode)
    await append_event(conn, scope, event_type, {"object": msgspec.to_builtins(as_resource(session))}, origin, now)
