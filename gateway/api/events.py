"""/v1/events: the outbox as Stripe's Event API shows it."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from gateway.api.dependencies import Caller, Connection
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, convert_params, query_params
from gateway.api.responses import list_response, object_response
from gateway.events.model import EventList, EventResource, as_resource
from gateway.events.store import get_event, list_events

PATH = "/v1/events"


@get(PATH + "/{event_id:str}", summary="Retrieve an Event", operation_class=documented(EventResource))
async def retrieve_event(request: Request, conn: Connection, caller: Caller, event_id: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    return object_response(as_resource(await get_event(conn, caller.scope, event_id)))


@get(PATH, summary="List Events, newest first; filter by type",
     operation_class=documented(list_of(EventResource), EventList, where="query"))
async def list_all_events(request: Request, conn: Connection, caller: Caller) -> Response:
    params = convert_params(query_params(request), EventList)
    return list_response(PATH, await list_events(conn, caller.scope, params), as_resource)


HANDLERS = [retrieve_event, list_all_events]
