"""Signing in and out of the console, and its front door."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from gateway.api.dependencies import Connection
from gateway.console.auth import (
    PUBLIC, SESSION_COOKIE, SIGNED_IN, cleared_session_cookie, current_staff, needs, session_cookie,
)
from gateway.console.errors import LoginRefused, LoginThrottled
from gateway.console.page import form_field
from gateway.console.roles import home_page
from gateway.console.sessions import end_session, sign_in
from gateway.web.form_errors import FieldError
from gateway.web.routes import safe_next
from gateway.web.templating import page_translator, render

CONSOLE_PREFIX = "/console/"


def _console_next(target: str | None) -> str | None:
    """Only back into the console: ``next`` never leads off it (nor off the site)."""
    target = safe_next(target)
    return target if target.startswith(CONSOLE_PREFIX) else None


def _login_page(request: Request, *, next_path: str | None, email: str = "", errors: list[FieldError] = (),
                status_code: int = 200, headers: dict[str, str] | None = None) -> Template:
    return render(request, "console/login.html", status_code=status_code, headers=headers, next_path=next_path or "",
                  email=email, errors=list(errors))


@get("/login", opt=needs(PUBLIC))
async def login_form(request: Request, next: FromQuery[str | None] = None) -> Template:
    return _login_page(request, next_path=_console_next(next))


@post("/login", opt=needs(PUBLIC))
async def login(request: Request, conn: Connection) -> Template | Redirect:
    t = page_translator(request)
    email, next_path = await form_field(request, "email"), _console_next(await form_field(request, "next"))
    password = (await request.form()).get("password")
    address = request.client.host if request.client else "unknown"
    try:
        staff, token = await sign_in(conn, email, password if isinstance(password, str) else "", address)
    except LoginThrottled as throttled:
        minutes = (throttled.retry_after_s + 59) // 60
        return _login_page(request, next_path=next_path, email=email, status_code=429,
                           headers={"retry-after": str(throttled.retry_after_s)},
                           errors=[FieldError("email", t("console.login.throttled", minutes=minutes))])
    except LoginRefused:
        return _login_page(request, next_path=next_path, email=email, status_code=400,
                           errors=[FieldError("email", t("console.login.refused"))])
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a new session on every sign-in: a token planted before it is worthless
        await end_session(conn, previous)
    return Redirect(next_path or home_page(staff.role), status_code=303, cookies=[session_cookie(request, token)])


@post("/logout", opt=needs(PUBLIC))
async def logout(request: Request, conn: Connection) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await end_session(conn, token)
    return Redirect("/console/login", status_code=303, cookies=[cleared_session_cookie(request)])


@get("/", opt=needs(SIGNED_IN))
async def front_door(request: Request) -> Redirect:
    return Redirect(home_page(current_staff(request).role), status_code=303)


HANDLERS = [login_form, login, logout, front_door]
