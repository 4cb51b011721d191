"""Starting a run from the console: a finance officer names the provider and the business
day, and either uploads the provider's settlement file (in the provider's own format) with
the settlement bank's statement, or has the file fetched through the provider's adapter.

The run happens within the request, as ``publicpay reconcile`` would run it; anything it
refuses (a file it cannot read, a day closed or reconciled from another file, a provider
that does not answer) is said on the form, never as an error page. Uploads are kept only
for the run: the run records each file's SHA-256.
"""

from __future__ import annotations

import enum
import tempfile
from datetime import date
from pathlib import Path

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.console.audit import record_action
from gateway.console.auth import current_staff, needs
from gateway.console.page import console_page, parse_day
from gateway.console.roles import Permission
from gateway.provider_setup import Providers
from gateway.reconciling import gateway_recovery
from gateway.settlement_files import Inbox, adapter_parser, settlement_file
from gateway.web.cookies import web_settings
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator
from reconciliation.engine import run_reconciliation
from reconciliation.errors import ReconciliationError
from reconciliation.runs import ProviderSetup, Run

ACT = needs(Permission.ACT_FINANCE)
UPLOAD_LIMIT_MB = 64  # both files together; a province's day is a few megabytes


class Source(enum.StrEnum):
    UPLOAD = "upload"
    FETCH = "fetch"


def _form_page(request: Request, *, form: dict[str, str] | None = None, errors: list[FieldError] = (),
               status_code: int = 200) -> Template:
    return console_page(request, "console/run_start.html", status_code=status_code, errors=list(errors),
                        form=form or {}, sources=list(Source), upload_limit_mb=UPLOAD_LIMIT_MB,
                        providers=web_settings(request).reconciliation_provider_codes)


@get("/runs/new", opt=ACT)
async def run_start_form(request: Request) -> Template:
    return _form_page(request)


def _too_large(request: Request, _: RequestEntityTooLarge) -> Template:
    t = page_translator(request)
    return _form_page(request, status_code=413,
                      errors=[FieldError("settlement_file", t("console.run_start.too_large", mb=UPLOAD_LIMIT_MB))])


@post("/runs", opt=ACT, request_max_body_size=UPLOAD_LIMIT_MB * 1024 * 1024,
      exception_handlers={RequestEntityTooLarge: _too_large})
async def start_run(request: Request, conn: Connection) -> Template | Redirect:
    t, data = page_translator(request), await request.form()
    form = {name: (data.get(name) or "").strip() for name in ("provider", "day", "source")
            if not isinstance(data.get(name), UploadFile)}
    settlement, statement = _upload(data.get("settlement_file")), _upload(data.get("statement_file"))
    providers: Providers = request.app.state.providers
    day = parse_day(form.get("day"))
    errors = [] if form.get("provider") in web_settings(request).reconciliation_provider_codes else [
        FieldError("provider", t("console.run_start.no_provider"))]
    errors += [] if day else [FieldError("day", t("console.run_start.no_day"))]
    errors += [] if form.get("source") in set(Source) else [FieldError("source", t("console.run_start.no_source"))]
    if form.get("source") == Source.UPLOAD and settlement is None:
        errors.append(FieldError("settlement_file", t("console.run_start.no_file")))
    if errors:
        return _form_page(request, form=form, errors=errors, status_code=400)
    if form["source"] == Source.FETCH:
        settlement = None
    try:
        run = await _run(request, conn, providers, form["provider"], day, settlement, statement)
    except ReconciliationError as refused:
        field = "settlement_file" if form["source"] == Source.UPLOAD else "source"
        return _form_page(request, form=form, status_code=422, errors=[
            FieldError(field, t("console.run_start.refused", detail=str(refused)))])
    staff = current_staff(request)
    async with conn.transaction():
        await record_action(conn, actor=staff.email, action="run_started", target=f"run:{run.id}",
                            reason=f"{form['source']}: {form['provider']} {day.isoformat()}",
                            details={"status": run.status, "settlement_sha256": run.settlement_sha256})
    return Redirect(f"/console/runs/{run.id}", status_code=303)


def _upload(value: object) -> UploadFile | None:
    """A file input's upload; browsers send an unnamed empty part for a file not chosen."""
    return value if isinstance(value, UploadFile) and value.filename else None


async def _run(request: Request, conn: AsyncConnection, providers: Providers, provider: str, day: date,
               settlement: UploadFile | None, statement: UploadFile | None) -> Run:
    settings, adapter = web_settings(request), providers.adapters[provider]
    inbox = Inbox.of(settings)
    setup = ProviderSetup(provider=provider, bank=settings.reconciliation_bank)
    with tempfile.TemporaryDirectory(prefix="publicpay-upload-") as folder:
        settlement_path = (await _saved(settlement, Path(folder) / "settlement") if settlement
                           else await settlement_file(inbox, adapter, day))
        statement_path = (await _saved(statement, Path(folder) / "statement.xml") if statement
                          else inbox.statement_if_arrived(setup.bank, day))
        return await run_reconciliation(conn, setup, day, settlement_path, statement=statement_path,
                                        parse=adapter_parser(adapter),
                                        recovery=gateway_recovery(providers, request.app.state.pool.connection))


async def _saved(upload: UploadFile, path: Path) -> Path:
    path.write_bytes(await upload.read())
    return path


HANDLERS = [run_start_form, start_run]
