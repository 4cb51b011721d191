"""The console's router under /console: every route signed in and authorised by
``require_staff`` (which also sends strangers to the login page), CSRF-checked on POST,
and errors as pages."""

from __future__ import annotations

from litestar import Request, Response, Router
from litestar.response import Redirect

from gateway.console import (
    audit_pages, exception_pages, ledger_pages, login_pages, remittance_pages, run_pages, run_start_pages,
    staff_pages,
)
from gateway.console.auth import Forbidden, LoginRequired, login_url, require_staff
from gateway.web.csrf import check_csrf
from gateway.web.error_pages import HTML_EXCEPTION_HANDLERS
from gateway.web.templating import render

PAGES = [login_pages, run_pages, run_start_pages, exception_pages, remittance_pages, ledger_pages, staff_pages,
         audit_pages]


def _to_login(_: Request, exc: LoginRequired) -> Response:
    return Redirect(login_url(exc.next_path), status_code=303)


def _forbidden(request: Request, _: Forbidden) -> Response:
    return render(request, "console/forbidden.html", status_code=403)


def console_router() -> Router:
    # Signed in first, then the CSRF token: an auditor's POST is refused for the role
    # whatever it carries.
    return Router(path="/console", route_handlers=[handler for page in PAGES for handler in page.HANDLERS],
                  guards=[require_staff, check_csrf], include_in_schema=False,
                  exception_handlers={**HTML_EXCEPTION_HANDLERS, LoginRequired: _to_login, Forbidden: _forbidden})
