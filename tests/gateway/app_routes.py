"""The gateway's routes as the code declares them, read from an app built in this process
exactly as each `publicpay serve` worker builds it: generated tests enumerate them, so a
route added later is exercised (or refused as unknown) without anyone editing a list."""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar import Litestar

from gateway.app import create_app
from gateway.settings import Settings

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@cache
def gateway_app() -> Litestar:
    # Building the app opens nothing (pools and providers open in its lifespan); the web
    # secret is given so that no key file is written, the sandbox address so that the
    # /sandbox mount is there as in sandbox mode.
    return create_app(Settings(web_secret="routes-under-test", sandbox_url="http://127.0.0.1:9"))


@cache
def openapi_document() -> dict[str, Any]:
    return gateway_app().openapi_schema.to_schema()


def api_operations() -> list[tuple[str, str]]:
    """(METHOD, path template) of every operation in the OpenAPI document."""
    return [(method.upper(), path) for path, item in openapi_document()["paths"].items()
            for method in HTTP_METHODS if method in item]


def http_routes(prefix: str = "/") -> set[tuple[str, str]]:
    """(METHOD, path template) of every HTTP route the app serves under ``prefix``, in the
    schema or not (OPTIONS and HEAD, which Litestar adds, left out)."""
    return {(method, route.path_format) for route in gateway_app().routes if route.path.startswith(prefix)
            for method in getattr(route, "methods", ()) if method not in ("OPTIONS", "HEAD")}
