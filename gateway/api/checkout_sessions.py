"""/v1/checkout/sessions: decode, call the session operations, encode."""

from __future__ import annotations

from functools import partial

from litestar import Request, Response, get, post
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Caller, Connection
from gateway.api.idempotency import respond_once
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import list_response, object_response
from gateway.events.store import Origin
from gateway.listing import ListParams
from gateway.sessions import operations, store
from gateway.sessions.model import (
    CheckoutSessionCreate,
    CheckoutSessionList,
    CheckoutSessionResource,
    LineItemResource,
    as_resource,
    line_item_resource,
)
from gateway.sessions.paging import page_of_line_items

PATH = "/v1/checkout/sessions"


@post(PATH, summary="Create a Checkout Session (mode=payment) and its PaymentIntent",
      operation_class=documented(CheckoutSessionResource, CheckoutSessionCreate))
async def create_checkout_session(request: Request, conn: Connection, caller: Caller) -> Response:
    raw = await body_params(request)
    params = convert_params(raw, CheckoutSessionCreate)
    state = request.app.state

    async def create(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.create_checkout_session(
            tx, caller.scope, params, origin, public_url=state.settings.public_url,
            available_methods=list(state.providers.adapters)))

    return await respond_once(conn, request, caller, raw, create)


@get(PATH + "/{session_id:str}", summary="Retrieve a Checkout Session",
     operation_class=documented(CheckoutSessionResource))
async def retrieve_checkout_session(request: Request, conn: Connection, caller: Caller,
                                    session_id: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    return object_response(as_resource(await store.get_session(conn, caller.scope, session_id)))


@get(PATH, summary="List Checkout Sessions, newest first (filters: payment_intent, status)",
     operation_class=documented(list_of(CheckoutSessionResource), CheckoutSessionList, where="query"))
async def list_checkout_sessions(request: Request, conn: Connection, caller: Caller) -> Response:
    params = convert_params(query_params(request), CheckoutSessionList)
    return list_response(PATH, await store.list_sessions(conn, caller.scope, params), as_resource)


@post(PATH + "/{session_id:str}/expire", summary="Expire an open Checkout Session (its PaymentIntent is canceled)",
      operation_class=documented(CheckoutSessionResource))
async def expire_checkout_session(request: Request, conn: Connection, caller: Caller,
                                  session_id: FromPath[str]) -> Response:
    raw = await body_params(request)
    convert_params(raw, NoParams)

    async def expire(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.expire_checkout_session(tx, caller.scope, session_id, origin))

    return await respond_once(conn, request, caller, raw, expire)


@get(PATH + "/{session_id:str}/line_items", summary="List a Checkout Session's line items, in their order",
     operation_class=documented(list_of(LineItemResource), ListParams, where="query"))
async def list_line_items(request: Request, conn: Connection, caller: Caller, session_id: FromPath[str]) -> Response:
    params = convert_params(query_params(request), ListParams)
    session = await store.get_session(conn, caller.scope, session_id)
    return list_response(f"{PATH}/{session_id}/line_items", page_of_line_items(session.line_items, params),
                         partial(line_item_resource, session))


HANDLERS = [create_checkout_session, retrieve_checkout_session, list_checkout_sessions, expire_checkout_session,
            list_line_items]
