"""A ``Request-Id`` on every response, as Stripe sends, for agencies to quote to support; the
same id is recorded on the events the request causes."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from gateway.identifiers import new_id

SCOPE_KEY = "publicpay.request_id"


def request_id(scope: Scope) -> str:
    """The request's id, made on first use (by a handler or, at the latest, by the response)."""
    # Not setdefault: that would make (and throw away) a new id on every later call too.
    found = scope.get(SCOPE_KEY)
    if found is None:
        found = scope[SCOPE_KEY] = new_id("req")  # type: ignore[typeddict-unknown-key]
    return found  # type: ignore[return-value]


async def add_request_id(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: it sees every response, including the framework's own 404s."""
    if message["type"] == "http.response.start":
        MutableScopeHeaders.from_message(message)["Request-Id"] = request_id(scope)
