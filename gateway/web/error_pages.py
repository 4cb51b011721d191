"""Errors as pages, for the routers that serve HTML: a citizen sees plain words and a way
on, never a stack trace or the API's JSON. Register ``HTML_EXCEPTION_HANDLERS`` on your
Router."""

from __future__ import annotations

import logging

import psycopg
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException

from gateway.rate_limits import RateLimited
from gateway.web.csrf import CsrfRefused
from gateway.web.templating import render

log = logging.getLogger(__name__)


def error_page(request: Request, status_code: int, kind: str, headers: dict[str, str] | None = None) -> Response:
    return render(request, "web/error.html", status_code=status_code, headers=headers, kind=kind)


def _csrf(request: Request, _: CsrfRefused) -> Response:
    return error_page(request, 403, "expired_form")


def _too_many(request: Request, exc: RateLimited) -> Response:
    return render(request, "web/error.html", status_code=429, headers={"retry-after": str(exc.retry_after_s)},
                  kind="too_many_lookups", retry_after_s=exc.retry_after_s)


def _not_found(request: Request, _: NotFoundException) -> Response:
    return error_page(request, 404, "not_found")


def _http(request: Request, exc: HTTPException) -> Response:
    return error_page(request, exc.status_code if 400 <= exc.status_code < 500 else 500,
                      "bad_request" if exc.status_code < 500 else "internal")


def _database_unavailable(request: Request, exc: psycopg.OperationalError) -> Response:
    # The page already says: try again in a few minutes, your money is safe.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_page(request, 503, "internal", headers={"retry-after": "30"})


def _internal(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500, "internal")


HTML_EXCEPTION_HANDLERS = {CsrfRefused: _csrf, RateLimited: _too_many, NotFoundException: _not_found,
                           HTTPException: _http, psycopg.OperationalError: _database_unavailable,
                           Exception: _internal}
