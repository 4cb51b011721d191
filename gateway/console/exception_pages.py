"""The exceptions queue: what the runs could not prove, with its evidence and trail, and
the officer's resolutions (manual match, write-off to suspense, refund, re-query) through
reconciliation, which records who, when and why in the resolution's own transaction."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.console import finance_store
from gateway.console.auth import current_staff, needs
from gateway.console.page import console_page, form_field
from gateway.console.roles import Permission
from gateway.reconciling import gateway_recovery
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator
from reconciliation.errors import RunRefused
from reconciliation.exceptions import exception_history, resolve_exception
from reconciliation.runs import Resolution

PAGE_SIZE = 50
STATUSES = {"open": "open", "resolved": "resolved", "all": None}
READ = needs(Permission.READ_FINANCE)

STAFF_RESOLUTIONS = [resolution for resolution in Resolution if resolution.by_staff]


@get("/exceptions", opt=READ)
async def exception_list(request: Request, conn: Connection, status: FromQuery[str] = "open",
                         provider: FromQuery[str | None] = None, after: FromQuery[int] = 0) -> Template:
    status = status if status in STATUSES else "open"
    queue = await finance_store.exception_queue(conn, status=STATUSES[status], provider=provider or None,
                                                after_id=after, limit=PAGE_SIZE)
    return console_page(request, "console/exceptions.html", queue=queue, status=status, provider=provider or "",
                        next_after=queue[-1].id if len(queue) == PAGE_SIZE else None)


async def _detail_page(request: Request, conn: AsyncConnection, exception_id: int, *, errors: list[FieldError] = (),
                       action: str = "", reason: str = "", status_code: int = 200) -> Template:
    found = await finance_store.find_exception(conn, exception_id)
    if found is None:
        raise NotFoundException()
    return console_page(request, "console/exception.html", status_code=status_code, found=found,
                        history=await exception_history(conn, exception_id), resolutions=STAFF_RESOLUTIONS,
                        errors=list(errors), action=action, reason=reason)


@get("/exceptions/{exception_id:int}", opt=READ)
async def exception_detail(request: Request, conn: Connection, exception_id: FromPath[int]) -> Template:
    return await _detail_page(request, conn, exception_id)


@post("/exceptions/{exception_id:int}/resolve", opt=needs(Permission.ACT_FINANCE))
async def resolve(request: Request, conn: Connection, exception_id: FromPath[int]) -> Template | Redirect:
    t = page_translator(request)
    action, reason = await form_field(request, "action"), await form_field(request, "reason")
    chosen = action in {resolution.value for resolution in STAFF_RESOLUTIONS}
    errors = [] if chosen else [FieldError("action", t("console.resolve.no_action"))]
    errors += [] if reason else [FieldError("reason", t("console.reason.missing"))]
    if errors:
        return await _detail_page(request, conn, exception_id, errors=errors, action=action, reason=reason,
                                  status_code=400)
    try:
        await resolve_exception(conn, exception_id, Resolution(action), actor=current_staff(request).email,
                                reason=reason,
                                recovery=gateway_recovery(request.app.state.providers, request.app.state.pool.connection))
    except RunRefused as refused:
        return await _detail_page(request, conn, exception_id, action=action, reason=reason, status_code=409,
                                  errors=[FieldError("action", t("console.resolve.refused", detail=str(refused)))])
    return Redirect(f"/console/exceptions/{exception_id}", status_code=303)


HANDLERS = [exception_list, exception_detail, resolve]
