"""Calls to provider APIs: one place that turns transport trouble into ProviderUnavailable.

A timeout or a dropped connection leaves the outcome unknown (the provider may have acted
on the request), so it is never reported as a refusal.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from providers.errors import MalformedMessage, ProviderUnavailable

T = TypeVar("T")


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
