"""The audit log, newest first, a page at a time: the console's actions and
reconciliation's resolutions of exceptions together."""

from __future__ import annotations

from datetime import datetime

from litestar import Request, get
from litestar.params import FromQuery
from litestar.response import Template

from gateway.api.dependencies import Connection
from gateway.console.audit import audit_page
from gateway.console.auth import needs
from gateway.console.page import console_page
from gateway.console.roles import Permission

PAGE_SIZE = 50


@get("/audit", opt=needs(Permission.READ_AUDIT))
async def audit_log(request: Request, conn: Connection, before: FromQuery[str | None] = None) -> Template:
    try:
        before_at = datetime.fromisoformat(before) if before else None
    except ValueError:
        before_at = None
    if before_at is not None and before_at.tzinfo is None:
        before_at = None  # only the aware times our own "older" link carries
    entries = await audit_page(conn, before=before_at, limit=PAGE_SIZE)
    return console_page(request, "console/audit.html", entries=entries,
                        older=entries[-1].at.isoformat() if len(entries) == PAGE_SIZE else None)


HANDLERS = [audit_log]
