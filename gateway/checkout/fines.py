"""Pay a road-traffic fine: a decision number or a plate → the decisions, their violation,
amount and deadline → pay one."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from catalogue import store as catalogue_store
from catalogue.errors import CatalogueError
from catalogue.quoting import price_service, today_in_vietnam
from gateway.api.dependencies import Connection
from gateway.checkout.journeys import FINE_SERVICE
from gateway.checkout.lookups import DECISION_FIELD, read_fine_lookup
from gateway.checkout.page_input import LookupForm, check_lookup_limit, form_text
from gateway.web.templating import render

FORM = LookupForm("fines", "/fines", "lookup")


@get("/fines")
async def fine_lookup(request: Request) -> Template:
    return FORM.page(request)


@post("/fines")
async def find_fines(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    text = await form_text(request, FORM.field)
    try:
        service = await catalogue_store.get_service(conn, FINE_SERVICE)
        lookup = read_fine_lookup(text, {field.name: field for field in service.fields})
        quote = await price_service(conn, FINE_SERVICE, {lookup.field: lookup.value})
    except CatalogueError as error:
        return FORM.refused(request, text, error)
    violations = await catalogue_store.get_violations(conn, [b.violation_code for b in quote.bills if b.violation_code])
    return render(request, "checkout/fines_found.html", decisions=quote.bills, violations=violations,
                  today=today_in_vietnam(), by_plate=lookup.field != DECISION_FIELD)


@post("/fines/pay")
async def pay_fine(request: Request, conn: Connection) -> Redirect | Template:
    decision = await form_text(request, DECISION_FIELD)
    return await FORM.pay(request, conn, FINE_SERVICE, {DECISION_FIELD: decision}, value=decision, reference=decision)


HANDLERS = [fine_lookup, find_fines, pay_fine]
