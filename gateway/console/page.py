"""What every console page needs: the layout's context (who is signed in, what they may
do), money in its currency, and the few ways a page reads its input."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import TextIO

from litestar import Request, Response
from litestar.response import Template

from gateway.console.auth import current_staff
from gateway.console.roles import Permission, allows
from gateway.web.form_errors import FieldError
from gateway.web.formatting import format_vnd
from gateway.web.templating import render
from reconciliation.amounts import format_amount_minor
from reconciliation.reports import DayReport

MAX_FIELD_CHARS = 500


def money(amount_minor: int, currency: str) -> str:
    """``150.000 ₫`` for đồng; ``12.50 USD`` for others (their exponent, never a float)."""
    if currency == "VND":
        return format_vnd(amount_minor)
    sign = "-" if amount_minor < 0 else ""
    return f"{sign}{format_amount_minor(abs(amount_minor), currency)}\u00a0{currency}"


def console_page(request: Request, template_name: str, *, status_code: int = 200,
                 errors: list[FieldError] = (), **context: object) -> Template:
    """``errors`` are also given ``by_field``, for the message next to each input."""
    staff = current_staff(request)
    return render(request, template_name, status_code=status_code, staff=staff, money=money,
                  can=lambda permission: allows(staff.role, Permission(permission)), errors=list(errors),
                  by_field=FieldError.by_field(list(errors)), **context)


async def form_field(request: Request, name: str) -> str:
    value = (await request.form()).get(name)
    return value.strip()[:MAX_FIELD_CHARS] if isinstance(value, str) else ""


def parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query parameter; None when absent or not a date."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save (never to keep in a cache nor to sniff: gateway.web.security_headers)."""
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def csv_download(report: DayReport, write: Callable[[DayReport, TextIO], None], filename: str) -> Response:
    """One of reconciliation's CSV writers, as a file to save."""
    stream = io.StringIO()
    write(report, stream)
    return download(stream.getvalue().encode(), "text/csv; charset=utf-8", filename)
