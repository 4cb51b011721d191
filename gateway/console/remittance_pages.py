"""Remittances to the State Treasury: the days that have them, a day's batches by provider
and agency, and the treasury's remittance file for the day."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from gateway.api.dependencies import Connection
from gateway.console import finance_store
from gateway.console.auth import needs
from gateway.console.page import console_page, csv_download, parse_day
from gateway.console.roles import Permission
from reconciliation import reports

READ = needs(Permission.READ_FINANCE)


@get("/remittances", opt=READ)
async def remittance_days(request: Request, conn: Connection) -> Template:
    return console_page(request, "console/remittances.html", days=await finance_store.remittance_days(conn))


async def _day_report(conn, day: str) -> reports.DayReport:
    business_day = parse_day(day)
    if business_day is None:
        raise NotFoundException()
    return await reports.build_report(conn, business_day)


@get("/remittances/{day:str}", opt=READ)
async def remittance_day(request: Request, conn: Connection, day: FromPath[str]) -> Template:
    report = await _day_report(conn, day)
    batches = [(part.run, remittance) for part in report.providers for remittance in part.remittances]
    return console_page(request, "console/remittance_day.html", report=report, batches=batches)


@get("/remittances/{day:str}/treasury.csv", opt=READ)
async def treasury_file(conn: Connection, day: FromPath[str]) -> Response:
    report = await _day_report(conn, day)
    return csv_download(report, reports.write_remittance_file, f"treasury-remittances-{report.business_day}.csv")


HANDLERS = [remittance_days, remittance_day, treasury_file]
