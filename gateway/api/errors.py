"""One table from the gateway's errors to Stripe's error responses, and the handlers that
give every failure, ours or the framework's, Stripe's error shape."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException

from gateway.errors import (
    AuthenticationFailed,
    CardError,
    ProviderUnavailableError,
    GatewayError,
    IdempotencyInFlight,
    IdempotencyMismatch,
    InvalidParameter,
    RateLimitExceeded,
    ResourceMissing,
    UnexpectedState,
)

log = logging.getLogger(__name__)

# error class → (HTTP status, Stripe's error type)
ERROR_RESPONSES: dict[type[GatewayError], tuple[int, str]] = {
    AuthenticationFailed: (401, "invalid_request_error"),
    CardError: (402, "card_error"),
    ProviderUnavailableError: (503, "api_error"),
    InvalidParameter: (400, "invalid_request_error"),
    UnexpectedState: (400, "invalid_request_error"),
    ResourceMissing: (404, "invalid_request_error"),
    IdempotencyMismatch: (400, "idempotency_error"),
    IdempotencyInFlight: (409, "idempotency_error"),
    RateLimitExceeded: (429, "invalid_request_error"),
}


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: str
    message: str
    code: str | None = None
    param: str | None = None
    decline_code: str | None = None
    payment_intent: dict[str, Any] | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    error: ErrorDetail


def error_response(status: int, detail: ErrorDetail) -> Response:
    return Response(msgspec.json.encode(ErrorBody(detail)), status_code=status, media_type="application/json")


def describe(exc: GatewayError) -> tuple[int, ErrorDetail]:
    status, error_type = ERROR_RESPONSES[type(exc)]
    detail = ErrorDetail(type=error_type, message=exc.message, code=exc.code, param=exc.param)
    if isinstance(exc, CardError):
        detail = msgspec.structs.replace(detail, decline_code=exc.decline_code, payment_intent=exc.payment_intent)
    return status, detail


def gateway_error(_: Request, exc: GatewayError) -> Response:
    return error_response(*describe(exc))


def framework_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code in (404, 405):
        message = f"Unrecognized request URL ({request.method}: {request.url.path})."
    else:
        message = exc.detail
    return error_response(exc.status_code, ErrorDetail(type="invalid_request_error", message=message))


def database_unavailable(request: Request, exc: psycopg.OperationalError) -> Response:
    """The database is down, restarting or out of connections (the pool's timeout is one of
    these): nothing was done that a retry would repeat (each unit of work is one
    transaction, an idempotent request's stored answer with it), so say so, as Stripe does."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    response = error_response(503, ErrorDetail(
        type="api_error", code="database_unavailable",
        message="The service is briefly unavailable; retry the request (with the same Idempotency-Key)."))
    response.headers["Stripe-Should-Retry"] = "true"
    return response


def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, ErrorDetail(type="api_error", message="An internal error occurred; it was logged."))


EXCEPTION_HANDLERS = {GatewayError: gateway_error, HTTPException: framework_error,
                      psycopg.OperationalError: database_unavailable, Exception: internal_error}
