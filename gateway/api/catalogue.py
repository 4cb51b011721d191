"""/v1/catalogue: the public catalogue, read-only and open to anyone (no API key): list and
search services, read one, price one for a payer's inputs, list agencies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath
from msgspec import Meta

from catalogue import store
from catalogue.definitions import Service
from catalogue.errors import CatalogueError, NotFound
from catalogue.model import Agency, Quote
from catalogue.quoting import price_service
from gateway.api.dependencies import Connection
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, convert_params, query_params
from gateway.api.responses import ListObject, object_response
from gateway.errors import GatewayError, InvalidParameter, ResourceMissing

PATH = "/v1/catalogue"


class ServiceListParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    q: Annotated[str, Meta(max_length=200)] | None = None  # words to find, diacritics ignored
    agency: str | None = None
    starting_after: str | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 10


class PriceParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    inputs: dict[str, str] = {}


class ServiceResource(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["service"] = "service"
    service: Service


class QuoteResource(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["quote"] = "quote"
    quote: Quote


class AgencyResource(msgspec.Struct, frozen=True, kw_only=True):
    """An agency as the public sees it: who it is, not its treasury account."""

    object: Literal["agency"] = "agency"
    code: str
    kind: str
    name_vi: str
    name_en: str
    parent_code: str | None


# The catalogue names the field it refused; the API, the parameter that carried it.
CATALOGUE_FIELD_PARAMS = {"service_code": "service", "agency_code": "agency", "dossier_code": "dossier"}


def catalogue_refusal(exc: CatalogueError, *, inputs_param: str | None = None) -> GatewayError:
    """The catalogue's refusal in Stripe's terms: an unknown service or dossier in the path
    is a 404; a payer's input is ``<inputs_param>[name]``."""
    if isinstance(exc, NotFound) and exc.field in ("service_code", "dossier_code"):
        return ResourceMissing(exc.reason, param=CATALOGUE_FIELD_PARAMS[exc.field], code="resource_missing")
    default = f"{inputs_param}[{exc.field}]" if inputs_param else exc.field
    return InvalidParameter(exc.reason, param=CATALOGUE_FIELD_PARAMS.get(exc.field, default), code=exc.code)


@get(PATH + "/services", summary="List or search the catalogue's services",
     operation_class=documented(list_of(ServiceResource), ServiceListParams, where="query"))
async def list_services(request: Request, conn: Connection) -> Response:
    params = convert_params(query_params(request), ServiceListParams)
    try:
        # One more than asked for tells whether there is a next page.
        services = await store.list_services(conn, query=params.q, agency_code=params.agency,
                                             starting_after=params.starting_after, limit=params.limit + 1)
    except CatalogueError as exc:
        raise catalogue_refusal(exc) from None
    data: list[Any] = [ServiceResource(service=s) for s in services[:params.limit]]
    return object_response(ListObject(url=PATH + "/services", has_more=len(services) > params.limit, data=data))


@get(PATH + "/services/{code:str}", summary="Retrieve one service", operation_class=documented(ServiceResource))
async def retrieve_service(request: Request, conn: Connection, code: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    try:
        return object_response(ServiceResource(service=await store.get_service(conn, code)))
    except CatalogueError as exc:
        raise catalogue_refusal(exc) from None


@get(PATH + "/services/{code:str}/price", summary="Price a service for a payer's inputs",
     operation_class=documented(QuoteResource, PriceParams, where="query"))
async def price(request: Request, conn: Connection, code: FromPath[str]) -> Response:
    params = convert_params(query_params(request), PriceParams)
    try:
        return object_response(QuoteResource(quote=await price_service(conn, code, params.inputs)))
    except CatalogueError as exc:
        raise catalogue_refusal(exc, inputs_param="inputs") from None


@get(PATH + "/agencies", summary="List the agencies", operation_class=documented(list_of(AgencyResource)))
async def list_agencies(request: Request, conn: Connection) -> Response:
    convert_params(query_params(request), NoParams)
    agencies: list[Agency] = await store.list_agencies(conn)
    data: list[Any] = [AgencyResource(code=a.code, kind=a.kind, name_vi=a.name_vi, name_en=a.name_en,
                                      parent_code=a.parent_code) for a in agencies]
    return object_response(ListObject(url=PATH + "/agencies", has_more=False, data=data))


HANDLERS = [list_services, retrieve_service, price, list_agencies]
