"""Calls to provider APIs: one place that turns transport trouble into ProviderUnavailable.

A timeout or a dropped connection leaves the outcome unknown (the provider may have acted
on the request), so it is never reported as a refusal.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import httpx
import msgspec

from providers.errors import MalformedMessage, ProviderRejected, ProviderUnavailable

T = TypeVar("T")
SETTLEMENT_FILE_TIMEOUT_S = 120.0  # a province's day is tens of megabytes


async def call_provider(client: httpx.AsyncClient, method: str, url: str, *, timeout_s: float,
                        **kwargs: Any) -> httpx.Response:
    """Send the request; raise ProviderUnavailable on timeout, transport error or 5xx."""
    try:
        response = await client.request(method, url, timeout=timeout_s, **kwargs)
    except httpx.TimeoutException:
        raise ProviderUnavailable(f"{method} {url}: no answer within {timeout_s} s") from None
    except httpx.TransportError as problem:
        raise ProviderUnavailable(f"{method} {url}: {type(problem).__name__}") from None
    if response.status_code >= 500:
        raise ProviderUnavailable(f"{method} {url}: HTTP {response.status_code}")
    return response


def decode_json_answer(response: httpx.Response, kind: type[T]) -> T:
    """The provider's JSON answer as ``kind``, or MalformedMessage naming what is wrong."""
    try:
        return msgspec.json.decode(response.content, type=kind)
    except msgspec.DecodeError as problem:
        raise MalformedMessage(f"{response.request.url}: HTTP {response.status_code}: {problem}") from None


async def fetch_settlement_file(client: httpx.AsyncClient, base_url: str, day: date, *,
                                headers: dict[str, str] | None = None) -> bytes:
    """A day's settlement file, as the provider wrote it, from ``<base_url>/settlement/<day>``;
    ProviderRejected when the provider answers without one (not there yet: HTTP 404)."""
    url = f"{base_url}/settlement/{day.isoformat()}"
    response = await call_provider(client, "GET", url, timeout_s=SETTLEMENT_FILE_TIMEOUT_S, headers=headers)
    if response.status_code != 200:
        raise ProviderRejected(str(response.status_code), f"GET {url}: no settlement file")
    return response.content
