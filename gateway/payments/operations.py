"""PaymentIntent operations: each reads, applies a transition, writes the result and appends
its event, in the caller's transaction (so the change and its event commit together)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection

from gateway.events.model import Event
from gateway.events.store import Origin, append_event, new_event
from gateway.keys.model import Scope
from gateway.payments import store
from gateway.payments.model import (
    PaymentIntent,
    PaymentIntentCancel,
    PaymentIntentCreate,
    PaymentIntentUpdate,
    as_resource,
)
from gateway.payments.pricing import quote_for
from gateway.payments.transitions import cancel_intent, create_intent, update_intent
from gateway.sessions.owned_intents import refuse_repricing_a_session_intent

# What the catalogue's price depends on: a change to any of these is priced again.
PRICED_FIELDS = ("service", "service_inputs", "amount_minor", "currency")


async def create_payment_intent(
    conn: AsyncConnection, scope: Scope, params: PaymentIntentCreate, origin: Origin
) -> PaymentIntent:
    intent, event = await new_payment_intent(conn, scope, params, origin)
    await store.insert_intent(conn, intent, announced_by=event)
    return intent


async def new_payment_intent(
    conn: AsyncConnection, scope: Scope, params: PaymentIntentCreate, origin: Origin
) -> tuple[PaymentIntent, Event]:
    """The intent ``params`` create, priced, and the event announcing it, both still to write."""
    now = datetime.now(UTC)
    intent = await quote_for(conn, create_intent(params, agency_code=scope.agency_code, livemode=scope.livemode, now=now))
    return intent, new_event(scope, "payment_intent.created", announcement(None, intent), origin, now)


async def update_payment_intent(
    conn: AsyncConnection, scope: Scope, intent_id: str, params: PaymentIntentUpdate, origin: Origin
) -> PaymentIntent:
    before = await store.get_intent(conn, scope, intent_id, for_update=True)
    after = update_intent(before, params)
    if any(getattr(after, name) != getattr(before, name) for name in PRICED_FIELDS):
        await refuse_repricing_a_session_intent(conn, before)
        after = await quote_for(conn, after)
    if after != before:
        await store.save_intent(conn, after)
        await announce(conn, scope, "payment_intent.updated", before, after, origin, datetime.now(UTC))
    return after


async def cancel_payment_intent(
    conn: AsyncConnection, scope: Scope, intent_id: str, params: PaymentIntentCancel, origin: Origin
) -> PaymentIntent:
    now = datetime.now(UTC)
    before = await store.get_intent(conn, scope, intent_id, for_update=True)
    after = cancel_intent(before, params.cancellation_reason, now=now)
    await store.save_intent(conn, after)
    await announce(conn, scope, "payment_intent.canceled", before, after, origin, now)
    return after


async def announce(
    conn: AsyncConnection, scope: Scope, event_type: str, before: PaymentIntent | None, after: PaymentIntent,
    origin: Origin, now: datetime,
) -> None:
    await append_event(conn, scope, event_type, announcement(before, after), origin, now)


def announcement(before: PaymentIntent | None, after: PaymentIntent) -> dict[str, Any]:
    """An event's data: the intent as the API shows it, and for a change Stripe's
    previous_attributes, the old values of the fields that changed."""
    current = msgspec.to_builtins(as_resource(after))
    data = {"object": current}
    if before is not None:
        previous = msgspec.to_builtins(as_resource(before))
        data["previous_attributes"] = {name: value for name, value in previous.items() if current[name] != value}
    return data
