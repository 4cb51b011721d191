"""Pay electricity bills: a customer code → the outstanding bills → pay them.

The catalogue's bill rule settles everything outstanding for the customer code at once
(EVN applies a payment to the oldest bill first), so the page offers "pay all"; paying a
single bill would need the rule to take a bill reference."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from catalogue import store as catalogue_store
from catalogue.errors import CatalogueError
from catalogue.quoting import price_service
from gateway.api.dependencies import Connection
from gateway.checkout.journeys import ELECTRICITY_SERVICE
from gateway.checkout.lookups import read_field
from gateway.checkout.page_input import LookupForm, check_lookup_limit, form_text
from gateway.web.templating import render

FIELD = "customer_code"
FORM = LookupForm("electricity", "/electricity", FIELD)


@get("/electricity")
async def bill_lookup(request: Request) -> Template:
    return FORM.page(request)


@post("/electricity")
async def find_bills(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    text = await form_text(request, FIELD)
    try:
        service = await catalogue_store.get_service(conn, ELECTRICITY_SERVICE)
        code = read_field(text, next(f for f in service.fields if f.name == FIELD))
        quote = await price_service(conn, ELECTRICITY_SERVICE, {FIELD: code})
    except CatalogueError as error:
        return FORM.refused(request, text, error)
    return render(request, "checkout/electricity_bills.html", customer_code=code, quote=quote)


@post("/electricity/pay")
async def pay_bills(request: Request, conn: Connection) -> Redirect | Template:
    code = await form_text(request, FIELD)
    return await FORM.pay(request, conn, ELECTRICITY_SERVICE, {FIELD: code}, value=code, reference=code)


HANDLERS = [bill_lookup, find_bills, pay_bills]
