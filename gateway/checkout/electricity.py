"""Pay electricity bills: a customer code → the outstanding bills → pay one, or all.

Each bill has its own form, carrying its reference as the catalogue's optional
``bill_reference`` input: the bill rule then prices that bill alone, and only it is marked
paid when the payment succeeds. Without a reference the rule settles everything outstanding
for the customer code (EVN applies such a payment to the oldest bill first): "pay all"."""

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
BILL_FIELD = "bill_reference"  # optional: the one bill to pay; absent, all of them
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
    code, bill = await form_text(request, FIELD), await form_text(request, BILL_FIELD)
    inputs = {FIELD: code, BILL_FIELD: bill} if bill else {FIELD: code}
    return await FORM.pay(request, conn, ELECTRICITY_SERVICE, inputs, value=code, reference=bill or code)


HANDLERS = [bill_lookup, find_bills, pay_bills]
