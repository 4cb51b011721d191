"""What handlers receive: a database connection for the request, and the caller's API key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from psycopg import AsyncConnection

from gateway.api.auth import redacted, secret_from_authorization
from gateway.errors import AuthenticationFailed, RateLimitExceeded
from gateway.keys.cache import ActiveKeyCache
from gateway.keys.model import ApiKey
from gateway.rate_limits import RateLimited, SlidingWindowLimit

# How handlers declare what they receive (Litestar injects by parameter name: conn, caller),
# taken as our providers made them: Litestar's signature model would otherwise check each
# against its type on every request (21 of the 865 Python calls of a create).
Connection = NamedDependency[SkipValidation[AsyncConnection]]
Caller = NamedDependency[SkipValidation[ApiKey]]


async def provide_connection(state: State) -> AsyncIterator[AsyncConnection]:
    """An autocommit connection from the pool, returned when the response is sent. Units of
    work open their own transaction; an idempotent request's begins with its key's lock and
    ends with its stored response (see gateway/idempotency/store.py)."""
    async with state.pool.connection() as conn:
        yield conn


def authenticator(key_cache_ttl_ms: int, requests_per_second: int) -> Callable[[Request, AsyncConnection], Awaitable[ApiKey]]:
    """The ``caller`` dependency of one app, with its own cache of active keys (see
    gateway/keys/cache.py for how soon a revocation is honoured) and its own count of each
    key's requests (gateway/rate_limits.py)."""
    active_keys = ActiveKeyCache(key_cache_ttl_ms / 1000)
    limit = SlidingWindowLimit(requests_per_second, 1.0)

    async def authenticate(request: Request, conn: Connection) -> ApiKey:
        secret = secret_from_authorization(request.headers.get("authorization"))
        key = await active_keys.find_active_key(conn, secret)
        if key is None:
            raise AuthenticationFailed(f"Invalid API Key provided: {redacted(secret)}")
        try:
            limit.check(str(key.id))
        except RateLimited as refused:
            raise RateLimitExceeded(f"Too many requests with this API key; retry after {refused.retry_after_s} s.") \
                from None
        return key

    return authenticate
