"""The start page: what can be paid here, and a search of the catalogue's services."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from gateway.web.templating import render


@get("/", include_in_schema=False)
async def start_page(request: Request) -> Template:
    return render(request, "checkout/start.html")


HANDLERS = [start_page]
