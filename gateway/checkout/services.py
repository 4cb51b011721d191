"""Find a service: the catalogue's search (diacritics ignored: "giay phep" finds "Giấy
phép"), then one service's fee, what to bring and how to pay."""

from __future__ import annotations

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.params import FromPath, FromQuery

from catalogue import store as catalogue_store
from catalogue.errors import CatalogueError
from gateway.api.dependencies import Connection
from gateway.checkout import catalogue_names
from gateway.checkout.fee_summary import summarise_fee
from gateway.checkout.journeys import ELECTRICITY_SERVICE, FINE_SERVICE, HOUSEHOLD_INSURANCE_SERVICE
from gateway.web.templating import render

MAX_QUERY_LENGTH = 100
RESULTS = 20
# Services with a journey of their own; the others are paid once their dossier asks for it.
JOURNEYS = {FINE_SERVICE: "/fines", ELECTRICITY_SERVICE: "/electricity", HOUSEHOLD_INSURANCE_SERVICE: "/health-insurance"}


@get("/services")
async def search_services(request: Request, conn: Connection, q: FromQuery[str] = "") -> Template:
    query = q.strip()[:MAX_QUERY_LENGTH]
    services = await catalogue_store.list_services(conn, query=query, limit=RESULTS) if query else []
    return render(request, "checkout/services.html", query=query, services=services)


@get("/services/{code:str}")
async def service_page(request: Request, conn: Connection, code: FromPath[str]) -> Template:
    try:
        service = await catalogue_names.services.get(conn, code)
        agency = await catalogue_names.agencies.get(conn, service.agency_code)
    except CatalogueError:
        raise NotFoundException() from None
    return render(request, "checkout/service.html", service=service, agency=agency, fee=summarise_fee(service.fee),
                  journey=JOURNEYS.get(service.code))


HANDLERS = [search_services, service_page]
