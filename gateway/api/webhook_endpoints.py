"""/v1/webhook_endpoints: decode, call the webhook operations, encode."""

from __future__ import annotations

from litestar import Request, Response, delete, get, post
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Caller, Connection
from gateway.api.idempotency import respond_once
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import list_response, object_response
from gateway.events.store import Origin
from gateway.listing import ListParams
from gateway.webhooks import operations, store
from gateway.webhooks.model import (
    DeletedWebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointResource,
    WebhookEndpointUpdate,
    as_resource,
)

PATH = "/v1/webhook_endpoints"


@post(PATH, summary="Create a webhook endpoint (its signing secret is shown only here)",
      operation_class=documented(WebhookEndpointResource, WebhookEndpointCreate))
async def create_webhook_endpoint(request: Request, conn: Connection, caller: Caller) -> Response:
    raw = await body_params(request)
    params = convert_params(raw, WebhookEndpointCreate)

    async def create(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.create_endpoint(tx, caller.scope, params), with_secret=True)

    return await respond_once(conn, request, caller, raw, create)


@get(PATH + "/{endpoint_id:str}", summary="Retrieve a webhook endpoint",
     operation_class=documented(WebhookEndpointResource))
async def retrieve_webhook_endpoint(request: Request, conn: Connection, caller: Caller,
                                    endpoint_id: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    return object_response(as_resource(await store.get_endpoint(conn, caller.scope, endpoint_id)))


@post(PATH + "/{endpoint_id:str}", summary="Update a webhook endpoint",
      operation_class=documented(WebhookEndpointResource, WebhookEndpointUpdate))
async def update_webhook_endpoint(request: Request, conn: Connection, caller: Caller,
                                  endpoint_id: FromPath[str]) -> Response:
    raw = await body_params(request)
    params = convert_params(raw, WebhookEndpointUpdate)

    async def update(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.update_endpoint(tx, caller.scope, endpoint_id, params))

    return await respond_once(conn, request, caller, raw, update)


@delete(PATH + "/{endpoint_id:str}", summary="Delete a webhook endpoint",
        operation_class=documented(DeletedWebhookEndpoint))
async def delete_webhook_endpoint(request: Request, conn: Connection, caller: Caller,
                                  endpoint_id: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    await store.delete_endpoint(conn, caller.scope, endpoint_id)
    return object_response(DeletedWebhookEndpoint(id=endpoint_id))


@get(PATH, summary="List webhook endpoints, newest first",
     operation_class=documented(list_of(WebhookEndpointResource), ListParams, where="query"))
async def list_webhook_endpoints(request: Request, conn: Connection, caller: Caller) -> Response:
    params = convert_params(query_params(request), ListParams)
    return list_response(PATH, await store.list_endpoints(conn, caller.scope, params), as_resource)


HANDLERS = [create_webhook_endpoint, retrieve_webhook_endpoint, update_webhook_endpoint, delete_webhook_endpoint,
            list_webhook_endpoints]
