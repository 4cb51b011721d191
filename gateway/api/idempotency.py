"""Running a POST once per ``Idempotency-Key``: the first response, success or refusal, is
stored in the same transaction as the change it reports, and replayed for the same request.

Validation happens before: a request whose parameters fail to decode never reaches here,
so nothing is stored for it and the key stays free (Stripe's rule)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response
from psycopg import AsyncConnection

from gateway.api.errors import ErrorBody, describe
from gateway.api.request_id import request_id
from gateway.api.responses import json_response
from gateway.errors import GatewayError, InvalidParameter
from gateway.events.store import Origin
from gateway.idempotency.group_commit import FirstTries
from gateway.idempotency.group_commit import FirstTry as KeyedFirstTry
from gateway.idempotency.store import StoredResponse, Write, begin_with_key, commit_response, roll_back
from gateway.keys.model import ApiKey

MAX_KEY_LENGTH = 255

# An operation that must commit a change and still refuse the request (a declined card
# leaves its last_payment_error on the PaymentIntent) returns the error instead of raising it.
Operation = Callable[[AsyncConnection, Origin], Awaitable[msgspec.Struct | GatewayError]]

# An operation whose changes are INSERTs it can build before the key is held (a create) may
# also offer them and the resource to answer with, for a first try in one statement; it runs
# outside any transaction, so it may read but must not write.
FirstTry = Callable[[AsyncConnection, Origin], Awaitable[tuple[msgspec.Struct, Write]]]


async def respond_once(
    conn: AsyncConnection, request: Request, caller: ApiKey, params: dict[str, Any], operation: Operation,
    first_try: FirstTry | None = None,
) -> Response:
    """Run ``operation`` in one transaction and answer with the resource it returns (with a
    key, after ``first_try`` if given: see gateway/idempotency/store.py)."""
    key = request.headers.get("idempotency-key")
    origin = Origin(request_id=request_id(request.scope), idempotency_key=key,
                    api_version=request.headers.get("stripe-version"))
    if key is None:
        async with conn.transaction():
            response = _as_response(await operation(conn, origin))
        return json_response(response.body, response.status)
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidParameter(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", param="Idempotency-Key")
    fingerprint = request_fingerprint(request.method, request.url.path, params)
    if first_try is not None and (body := await _try_first(conn, request.app.state.first_tries, caller.id, key,
                                                            fingerprint, first_try, origin)):
        return json_response(body, 200)
    stored = await begin_with_key(conn, caller.id, key, fingerprint)
    if stored is not None:
        return json_response(stored.body, stored.status, headers={"Idempotent-Replayed": "true"})
    try:
        try:
            response, keep_changes = _as_response(await operation(conn, origin)), True
        except GatewayError as exc:
            # Raised: the operation's changes are undone, and its refusal stored.
            response, keep_changes = _as_response(exc), False
        await commit_response(conn, caller.id, key, fingerprint, response, keep_changes=keep_changes)
    except BaseException:
        # Anything else rolls the transaction back and leaves the key without a response:
        # nothing was done, so a retry with the same parameters runs afresh, rather than
        # replaying an internal error for a day.
        await roll_back(conn)
        raise
    return json_response(response.body, response.status)


async def _try_first(conn: AsyncConnection, batches: FirstTries, api_key_id: int, key: str, fingerprint: bytes,
                     first_try: FirstTry, origin: Origin) -> bytes | None:
    """The body of the response ``first_try`` committed with the key, together with the
    process's other creates of the moment (gateway/idempotency/group_commit.py); None when it
    did not, and the key's bracket must answer (a replay, a busy key, a refusal to keep)."""
    try:
        resource, write = await first_try(conn, origin)
    except GatewayError:
        return None  # refused: refused again under the key, which then keeps the refusal
    response = _as_response(resource)
    committed = await batches(KeyedFirstTry(api_key_id, key, fingerprint, write, response))
    return response.body if committed else None


def _as_response(outcome: msgspec.Struct | GatewayError) -> StoredResponse:
    if isinstance(outcome, GatewayError):
        status, detail = describe(outcome)
        return StoredResponse(status=status, body=msgspec.json.encode(ErrorBody(detail)))
    return StoredResponse(status=200, body=msgspec.json.encode(outcome))


def request_fingerprint(method: str, path: str, params: dict[str, Any]) -> bytes:
    """Equal for the same method, path and parameters, whatever their order."""
    canonical = msgspec.json.encode([method, path, params], order="sorted")
    return hashlib.sha256(canonical).digest()
