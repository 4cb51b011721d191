"""CSRF protection for our HTML forms (the API under /v1 and providers' /callbacks never
see it: they are not routed through the web routers that apply ``check_csrf``).

A double-submit token bound to the key: the browser holds a random value in the ``csrf``
cookie, and each form carries HMAC(key, that value). A forging site can neither read the
cookie nor compute the HMAC. Ours rather than Litestar's CSRF middleware, because that
one works app-wide (API included) and answers a refusal in the API's JSON error shape,
where a citizen must get a page.

Use: ``{{ csrf_field }}`` in every ``<form method="post">`` (``render`` provides it), and
``guards=[check_csrf]`` on the router or handler.
"""

from __future__ import annotations

import hmac
import secrets

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler

from gateway.web.cookies import our_cookie
from gateway.web.signed_values import mac
from gateway.web.signing_key import request_signing_key

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Exception):
    """A POST without a valid token: a stale page, cookies off, or a forgery."""


def form_token(request: Request) -> tuple[str, Cookie | None]:
    """The token for this browser's forms, and the cookie to set if it has none yet."""
    value = request.cookies.get(CSRF_COOKIE)
    cookie = None
    if not value:
        value = secrets.token_urlsafe(32)
        cookie = our_cookie(request, CSRF_COOKIE, value)
    return mac(request_signing_key(request), "csrf", value), cookie


async def check_csrf(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A guard: every unsafe request must carry the token of its browser's cookie."""
    if connection.scope["method"] in SAFE_METHODS:
        return
    request: Request = connection  # type: ignore[assignment]
    cookie = request.cookies.get(CSRF_COOKIE)
    given = (await request.form()).get(CSRF_FIELD)
    expected = mac(request_signing_key(request), "csrf", cookie) if cookie else ""
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise CsrfRefused()
