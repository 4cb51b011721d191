"""The console over HTTP, in-process: ``create_app(settings, pool)`` behind httpx's ASGI
transport on the test's own event loop (as tests/gateway/test_app.py does), one client per
staff member with that member's session, and the golden reconciliation days of
tests/reconciliation run through the real engine so the pages show real runs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from psycopg_pool import AsyncConnectionPool

from gateway.app import create_app
from gateway.console.auth import SESSION_COOKIE
from gateway.console.roles import Role
from gateway.console.sessions import open_session
from gateway.console.staff_store import Staff
from gateway.settings import Settings
from reconciliation.engine import run_reconciliation
from tests.console.staffing import add_staff
from tests.reconciliation.golden_books import (
    DATA, DAY, SETUP, FakeProvider, book_clean_day, book_every_class_day,
)

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class ConsoleApp:
    def __init__(self, app, conn) -> None:
        self.app, self.conn = app, conn

    @asynccontextmanager
    async def browser(self, staff: Staff | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """A browser, signed in as ``staff`` (through a real session) or as nobody."""
        async with httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://app") as client:
            if staff is not None:
                client.cookies.set(SESSION_COOKIE, await open_session(self.conn, staff.id))
            yield client

    @asynccontextmanager
    async def signed_in(self, role: Role) -> AsyncIterator[tuple[httpx.AsyncClient, Staff]]:
        staff = await add_staff(self.conn, role)
        async with self.browser(staff) as client:
            yield client, staff


@asynccontextmanager
async def console_app(database_url: str, conn, home: Path) -> AsyncIterator[ConsoleApp]:
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        app = create_app(Settings(web_secret="console tests", home=str(home)), pool)
        async with app.lifespan():
            yield ConsoleApp(app, conn)


async def csrf_token(client: httpx.AsyncClient, page: str = "/console/login") -> str:
    """The form token of this browser, from a page's form (which also sets its cookie)."""
    return CSRF_INPUT.search((await client.get(page)).text)[1]


async def post_form(client: httpx.AsyncClient, path: str, fields: dict[str, str], *,
                    token_from: str = "/console/login") -> httpx.Response:
    return await client.post(path, data={"csrf_token": await csrf_token(client, token_from), **fields})


async def reconcile_every_class_day(conn):
    """The golden day with every class of discrepancy: its run and its open exceptions."""
    await book_every_class_day(conn)
    return await run_reconciliation(conn, SETUP, DAY, DATA / "every_class.csv",
                                    statement=DATA / "every_class_statement.xml",
                                    recovery=FakeProvider({"PA-105": 50_000}).recovery)


async def reconcile_clean_day(conn):
    await book_clean_day(conn)
    return await run_reconciliation(conn, SETUP, DAY, DATA / "clean_day.csv",
                                    statement=DATA / "clean_day_statement.xml",
                                    recovery=FakeProvider().recovery)
