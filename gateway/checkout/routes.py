"""The checkout's router: its pages, CSRF on every form, errors as pages."""

from __future__ import annotations

from litestar import Router

from gateway.checkout import (
    dossiers,
    electricity,
    fines,
    health_insurance,
    paying,
    receipts,
    services,
    session_page,
    start,
)
from gateway.web.csrf import check_csrf
from gateway.web.error_pages import HTML_EXCEPTION_HANDLERS

PAGES = [start, services, fines, electricity, health_insurance, dossiers, paying, receipts, session_page]


def checkout_router() -> Router:
    return Router(path="/", route_handlers=[handler for page in PAGES for handler in page.HANDLERS],
                  guards=[check_csrf], exception_handlers=HTML_EXCEPTION_HANDLERS, include_in_schema=False)
