"""Events: what changed, as Stripe announces it, written to the outbox with the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from gateway.listing import ListParams


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.events."""

    agency_code: str
    id: str
    livemode: bool
    type: str
    api_version: str | None
    data: dict[str, Any]  # {"object": ..., "previous_attributes"?: ...}
    request_id: str | None
    idempotency_key: str | None
    created_at: datetime


class EventRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: str | None
    idempotency_key: str | None


class EventResource(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: Literal["event"] = "event"
    api_version: str | None
    created: int
    data: dict[str, Any]
    livemode: bool
    # Not counted yet: delivery state is in gateway.webhook_deliveries.
    pending_webhooks: int = 0
    request: EventRequest
    type: str


class EventList(ListParams, frozen=True, kw_only=True, forbid_unknown_fields=True):
    type: str | None = None


def as_resource(event: Event) -> EventResource:
    return EventResource(
        id=event.id,
        api_version=event.api_version,
        created=int(event.created_at.timestamp()),
        data=event.data,
        livemode=event.livemode,
        request=EventRequest(id=event.request_id, idempotency_key=event.idempotency_key),
        type=event.type,
    )
