"""A ``Request-Id`` on every response, as Stripe sends, for agencies to quote to support; the
same id is recorded on the events the request causes."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from gateway.identifiers import new_id

SCOPE_KEY = "publicpay.request_id"


def request_id(scope: Scope) -> str:
    """The request's id, made on first use (by a handler or, at the latest, by the response)."""
    return scope.setdefault(SCOPE_KEY, new_id("req"))  # type: ignore[typeddict-item]


async def add_request_id(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: it sees every response, including the framework's own 404s."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["Request-Id"] = request_id(scope)
