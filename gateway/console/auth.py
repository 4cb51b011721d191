"""Who is asking, and may they: the session cookie, and one guard on the console's router
that signs the request in and checks the permission each route names in its ``opt``.

Every console route must name one (``opt=needs(...)``: a Permission, ``SIGNED_IN`` or
``PUBLIC``): a route that forgets is refused, never open by accident.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers import BaseRouteHandler

from gateway.console.roles import Permission, allows
from gateway.console.sessions import staff_of_session
from gateway.console.staff_store import Staff
from gateway.web.cookies import web_settings

SESSION_COOKIE = "console_session"
COOKIE_PATH = "/console"
PUBLIC = "public"  # the login page: no session needed
SIGNED_IN = "signed_in"  # any staff member, whatever their role


class LoginRequired(Exception):
    """No live session: the browser is sent to the login page, then back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Forbidden(Exception):
    """Signed in, but the role does not allow this."""


def needs(permission: Permission | str) -> dict[str, Permission | str]:
    """A route's ``opt``: ``@get("/x", opt=needs(Permission.READ_FINANCE))``."""
    return {"permission": permission}


def session_cookie(request: Request, token: str) -> Cookie:
    """HttpOnly, and SameSite=Strict (unlike the citizens' Lax cookies): nothing outside the
    console ever needs to arrive signed in, so no cross-site request carries the session.
    Secure over https, and always in live mode. No max-age: the server ends sessions."""
    secure = request.url.scheme == "https" or web_settings(request).mode == "live"
    return Cookie(key=SESSION_COOKIE, value=token, path=COOKIE_PATH, httponly=True, secure=secure,
                  samesite="strict")


def cleared_session_cookie(request: Request) -> Cookie:
    return dataclasses.replace(session_cookie(request, ""), max_age=0)


async def require_staff(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    needed = handler.opt.get("permission")
    if needed is None:
        raise Forbidden(f"{handler} names no permission")
    if needed == PUBLIC:
        return
    token = connection.cookies.get(SESSION_COOKIE)
    staff = None
    if token:
        async with connection.app.state.pool.connection() as conn:
            staff = await staff_of_session(conn, token)
    if staff is None:
        query = connection.scope.get("query_string", b"").decode()
        raise LoginRequired(connection.url.path + (f"?{query}" if query else ""))
    if needed != SIGNED_IN and not allows(staff.role, Permission(needed)):
        raise Forbidden(f"{staff.role} may not {needed}")
    connection.state.staff = staff


def current_staff(request: Request) -> Staff:
    return request.state.staff


def login_url(next_path: str) -> str:
    return f"/console/login?next={quote(next_path, safe='/')}"
