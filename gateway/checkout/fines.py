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
from gateway.checkout.page_input import (
    check_lookup_limit,
    form_amount,
    form_text,
    livemode,
    lookup_page,
    origin_request_id,
    refusal,
    to_payment,
)
from gateway.checkout.payment_start import start_payment
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator, render


def _lookup_page(request: Request, value: str = "", errors: list[FieldError] | None = None) -> Template:
    return lookup_page(request, "fines", "/fines", "lookup", value, errors)


@get("/fines")
async def fine_lookup(request: Request) -> Template:
    return _lookup_page(request)


@post("/fines")
async def find_fines(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    text = await form_text(request, "lookup")
    try:
        service = await catalogue_store.get_service(conn, FINE_SERVICE)
        lookup = read_fine_lookup(text, {field.name: field for field in service.fields})
        quote = await price_service(conn, FINE_SERVICE, {lookup.field: lookup.value})
    except CatalogueError as error:
        return _lookup_page(request, text, [refusal(page_translator(request), "lookup", error)])
    violations = await catalogue_store.get_violations(conn, [b.violation_code for b in quote.bills if b.violation_code])
    return render(request, "checkout/fines_found.html", decisions=quote.bills, violations=violations,
                  today=today_in_vietnam(), by_plate=lookup.field != DECISION_FIELD)


@post("/fines/pay")
async def pay_fine(request: Request, conn: Connection) -> Redirect | Template:
    check_lookup_limit(request)
    decision = await form_text(request, DECISION_FIELD)
    try:
        intent = await start_payment(conn, FINE_SERVICE, {DECISION_FIELD: decision},
                                     expected_minor=await form_amount(request), livemode=livemode(request),
                                     reference=decision, request_id=origin_request_id(request))
    except CatalogueError as error:  # AmountChanged among them: the page says to look again
        return _lookup_page(request, decision, [refusal(page_translator(request), "lookup", error)])
    return to_payment(request, intent)


HANDLERS = [fine_lookup, find_fines, pay_fine]
