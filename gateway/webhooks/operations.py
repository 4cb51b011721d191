"""Webhook endpoint changes: validated, then written in the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import msgspec
from msgspec import UNSET
from psycopg import AsyncConnection

from gateway.errors import InvalidParameter
from gateway.identifiers import new_id, random_base62
from gateway.keys.model import Scope
from gateway.webhooks import store
from gateway.webhooks.model import WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def check_url(url: str, *, livemode: bool) -> None:
    """Live endpoints must use https; plain http is for trying things out on one's own machine."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # what the pattern lets through and urlsplit cannot read: "https://a]b/"
        raise InvalidParameter(f"Invalid URL: {url}", param="url", code="url_invalid") from None
    if parts.scheme != "https" and (livemode or host not in LOOPBACK_HOSTS):
        raise InvalidParameter("Webhook endpoints must use https (http is accepted only for loopback in test mode).",
                               param="url", code="url_invalid")


async def create_endpoint(conn: AsyncConnection, scope: Scope, params: WebhookEndpointCreate) -> WebhookEndpoint:
    check_url(params.url, livemode=scope.livemode)
    endpoint = WebhookEndpoint(
        agency_code=scope.agency_code, id=new_id("we"), livemode=scope.livemode, url=params.url,
        enabled_events=params.enabled_events, description=params.description,
        metadata={k: v for k, v in (params.metadata or {}).items() if v is not None}, status="enabled",
        api_version=params.api_version, secret=f"whsec_{random_base62(32)}", created_at=datetime.now(UTC))
    await store.insert_endpoint(conn, endpoint)
    return endpoint


async def update_endpoint(conn: AsyncConnection, scope: Scope, endpoint_id: str,
                          params: WebhookEndpointUpdate) -> WebhookEndpoint:
    endpoint = await store.get_endpoint(conn, scope, endpoint_id, for_update=True)
    changes: dict = {}
    if params.url is not UNSET:
        check_url(params.url, livemode=scope.livemode)
        changes["url"] = params.url
    if params.enabled_events is not UNSET:
        changes["enabled_events"] = params.enabled_events
    if params.description is not UNSET:
        changes["description"] = params.description
    if params.metadata is not UNSET:
        merged = {} if params.metadata is None else endpoint.metadata | params.metadata
        changes["metadata"] = {k: v for k, v in merged.items() if v is not None}
    if params.disabled is not UNSET:
        changes["status"] = "disabled" if params.disabled else "enabled"
    updated = msgspec.structs.replace(endpoint, **changes)
    await store.save_endpoint(conn, updated)
    return updated
