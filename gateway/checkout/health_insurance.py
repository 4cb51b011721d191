"""Renew household health insurance: a member's social-insurance number → the household
(how many members, covered until when; no names) → 3, 6 or 12 months → the premium by the
catalogue's rule, line by line → pay."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from catalogue import store as catalogue_store
from catalogue.billers import sandbox_billers
from catalogue.definitions import Service
from catalogue.errors import CatalogueError
from catalogue.fees import HouseholdPremiumFee
from catalogue.model import Household
from catalogue.quoting import price_service
from gateway.api.dependencies import Connection
from gateway.checkout.journeys import HOUSEHOLD_INSURANCE_SERVICE
from gateway.checkout.lookups import read_field
from gateway.checkout.page_input import LookupForm, check_lookup_limit, form_text
from gateway.checkout.premium_lines import premium_lines
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator, render

FIELD = "social_insurance_number"
FORM = LookupForm("insurance", "/health-insurance", FIELD)


async def _service(conn: AsyncConnection) -> tuple[Service, HouseholdPremiumFee]:
    service = await catalogue_store.get_service(conn, HOUSEHOLD_INSURANCE_SERVICE)
    assert isinstance(service.fee, HouseholdPremiumFee)
    return service, service.fee


@get("/health-insurance")
async def household_lookup(request: Request) -> Template:
    return FORM.page(request)


@post("/health-insurance")
async def find_household(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    text = await form_text(request, FIELD)
    service, fee = await _service(conn)
    try:
        number = read_field(text, next(f for f in service.fields if f.name == FIELD))
        household = await sandbox_billers().households[fee.registry].find_household(conn, number)
    except CatalogueError as error:
        return FORM.refused(request, text, error)
    return _months_page(request, household, fee)


def _months_page(request: Request, household: Household, fee: HouseholdPremiumFee,
                 errors: list[FieldError] | None = None) -> Template:
    """How many members and until when they are covered; never the head's name, which anyone
    typing a number could otherwise read."""
    return render(request, "checkout/insurance_months.html", status_code=400 if errors else 200,
                  number=household.social_insurance_number, members=household.members,
                  coverage_end=household.coverage_end, months=fee.months_allowed, errors=errors or [])


@post("/health-insurance/premium")
async def show_premium(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    number, months = await form_text(request, FIELD), await form_text(request, "months")
    service, fee = await _service(conn)
    t = page_translator(request)
    try:
        household = await sandbox_billers().households[fee.registry].find_household(conn, number)
    except CatalogueError as error:
        return FORM.refused(request, number, error)
    if not months.isdigit() or int(months) not in fee.months_allowed:
        return _months_page(request, household, fee, [FieldError("months", t("checkout.errors.months.missing_field"))])
    quote = await price_service(conn, service.code, {FIELD: number, "months": months})
    base_salary_minor = await catalogue_store.base_salary_on(conn, quote.priced_on)
    return render(request, "checkout/insurance_premium.html", number=number, months=int(months), quote=quote,
                  lines=premium_lines(fee, base_salary_minor, [line.amount_minor for line in quote.lines]),
                  base_salary_minor=base_salary_minor, rate_percent=fee.rate_percent)


@post("/health-insurance/pay")
async def pay_premium(request: Request, conn: Connection) -> Redirect | Template:
    number, months = await form_text(request, FIELD), await form_text(request, "months")
    return await FORM.pay(request, conn, HOUSEHOLD_INSURANCE_SERVICE, {FIELD: number, "months": months},
                          value=number, reference=None)


HANDLERS = [household_lookup, find_household, show_premium, pay_premium]
