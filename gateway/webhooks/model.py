"""Webhook endpoints: what we store, what an agency may ask for, and what the API shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gateway.payments.model import Metadata, ShortText

Url = Annotated[str, Meta(pattern=r"^https?://[^\s/]+(/\S*)?$", max_length=2048)]
EventTypes = Annotated[list[Annotated[str, Meta(pattern=r"^(\*|[a-z_]+(\.[a-z_]+)+)$")]], Meta(min_length=1)]


class WebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.webhook_endpoints."""

    agency_code: str
    id: str
    livemode: bool
    url: str
    enabled_events: list[str]
    description: str | None
    metadata: dict[str, str]
    status: Literal["enabled", "disabled"]
    api_version: str | None
    secret: str
    created_at: datetime


class WebhookEndpointCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: Url
    enabled_events: EventTypes
    description: ShortText | None = None
    metadata: Metadata | None = None
    api_version: ShortText | None = None


class WebhookEndpointUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    url: Url | UnsetType = UNSET
    enabled_events: EventTypes | UnsetType = UNSET
    description: ShortText | None | UnsetType = UNSET
    metadata: Metadata | None | UnsetType = UNSET
    disabled: bool | UnsetType = UNSET


class WebhookEndpointResource(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    api_version: str | None
    application: None
    created: int
    description: str | None
    enabled_events: list[str]
    livemode: bool
    metadata: dict[str, str]
    status: str
    url: str
    secret: str | UnsetType = UNSET  # only in the answer to create (UNSET fields are not encoded)


class DeletedWebhookEndpoint(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    deleted: bool = True


def as_resource(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> WebhookEndpointResource:
    return WebhookEndpointResource(
        id=endpoint.id, api_version=endpoint.api_version, application=None,
        created=int(endpoint.created_at.timestamp()), description=endpoint.description,
        enabled_events=endpoint.enabled_events, livemode=endpoint.livemode, metadata=endpoint.metadata,
        status=endpoint.status, url=endpoint.url, secret=endpoint.secret if with_secret else UNSET,
    )
