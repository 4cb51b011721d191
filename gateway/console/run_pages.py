"""Runs: the list by day and provider, a run's report with its charts, its downloads
(JSON, CSV, exceptions, the treasury's remittance file), and closing a business day."""

from __future__ import annotations

from datetime import date

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.console import finance_store
from gateway.console.audit import record_action
from gateway.console.auth import current_staff, needs
from gateway.console.page import console_page, csv_download, download, form_field, parse_day
from gateway.console.roles import Permission
from gateway.console.run_charts import run_charts
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator
from reconciliation import reports
from reconciliation.errors import RunRefused
from reconciliation.runs import Run
from reconciliation.store import close_day

CHART_DAYS = 14
READ = needs(Permission.READ_FINANCE)


async def _runs_page(request: Request, conn: AsyncConnection, day: date | None, provider: str | None, *,
                     errors: list[FieldError] = (), status_code: int = 200) -> Template:
    runs = await finance_store.list_runs(conn, day=day, provider=provider or None)
    closed = await finance_store.day_closed(conn, day) if day else None
    return console_page(request, "console/runs.html", status_code=status_code, runs=runs, day=day,
                        provider=provider or "", closed=closed, errors=list(errors))


@get("/runs", opt=READ)
async def runs_list(request: Request, conn: Connection, day: FromQuery[str | None] = None,
                    provider: FromQuery[str | None] = None) -> Template:
    return await _runs_page(request, conn, parse_day(day), provider)


async def _run_and_report(conn: AsyncConnection, run_id: int) -> tuple[Run, reports.DayReport]:
    run = await finance_store.find_run(conn, run_id)
    if run is None:
        raise NotFoundException()
    return run, await reports.build_report(conn, run.business_day, run.provider)


@get("/runs/{run_id:int}", opt=READ)
async def run_detail(request: Request, conn: Connection, run_id: FromPath[int]) -> Template:
    run, report = await _run_and_report(conn, run_id)
    [part] = report.providers
    charts = run_charts(page_translator(request),
                        await finance_store.day_figures(conn, run.business_day, CHART_DAYS),
                        await finance_store.exceptions_by_cause(conn, run.id), run.business_day, CHART_DAYS)
    return console_page(request, "console/run.html", run=run, part=part, charts=charts,
                        closed=await finance_store.day_closed(conn, run.business_day))


@get("/runs/{run_id:int}/report.json", opt=READ)
async def run_report_json(conn: Connection, run_id: FromPath[int]) -> Response:
    run, report = await _run_and_report(conn, run_id)
    return download(reports.report_json(report), "application/json", f"{_stem(run)}.json")


def _stem(run: Run) -> str:
    return f"reconciliation-{run.provider}-{run.business_day.isoformat()}"


CSV_FILES = {"report": reports.write_report_csv, "exceptions": reports.write_exceptions_csv,
             "remittances": reports.write_remittance_file}


@get("/runs/{run_id:int}/csv/{name:str}", opt=READ)
async def run_report_csv(conn: Connection, run_id: FromPath[int], name: FromPath[str]) -> Response:
    if name not in CSV_FILES:
        raise NotFoundException()
    run, report = await _run_and_report(conn, run_id)
    return csv_download(report, CSV_FILES[name], f"{_stem(run)}-{name}.csv")


@post("/days/{day:str}/close", opt=needs(Permission.ACT_FINANCE))
async def close_business_day(request: Request, conn: Connection, day: FromPath[str]) -> Template | Redirect:
    """Close a business day (the officer's approval of it): nothing posts into it afterwards."""
    business_day = parse_day(day)
    if business_day is None:
        raise NotFoundException()
    t, staff = page_translator(request), current_staff(request)
    reason = await form_field(request, "reason")
    if not reason:
        return await _runs_page(request, conn, business_day, None, status_code=400,
                                errors=[FieldError("reason", t("console.reason.missing"))])
    try:
        async with conn.transaction():
            await close_day(conn, business_day, actor=staff.email, reason=reason)
            await record_action(conn, actor=staff.email, action="day_closed", target=f"day:{business_day}",
                                reason=reason)
    except RunRefused as refused:
        return await _runs_page(request, conn, business_day, None, status_code=409,
                                errors=[FieldError("reason", t("console.days.close_refused", detail=str(refused)))])
    return Redirect(f"/console/runs?day={business_day.isoformat()}", status_code=303)


HANDLERS = [runs_list, run_detail, run_report_json, run_report_csv, close_business_day]
