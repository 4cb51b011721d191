"""/v1/refunds: decode, call the refund operations, encode."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Caller, Connection
from gateway.api.idempotency import respond_once
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import list_response, object_response
from gateway.events.store import Origin
from gateway.refunds import operations, store
from gateway.refunds.model import RefundCreate, RefundList, RefundResource, RefundStatus, as_resource
from gateway.refunds.sending import ask_provider

PATH = "/v1/refunds"


@post(PATH, summary="Create a Refund (full or partial) of a succeeded PaymentIntent",
      operation_class=documented(RefundResource, RefundCreate))
async def create_refund(request: Request, conn: Connection, caller: Caller) -> Response:
    raw = await body_params(request)
    params = convert_params(raw, RefundCreate)
    state = request.app.state

    async def create(tx: AsyncConnection, origin: Origin):
        # Reserved and committed before the provider is asked, so that a crash in between
        # leaves a pending refund for the refund job to follow up, never a lost one.
        async with state.recording_pool.connection() as reserving, reserving.transaction():
            refund, attempt, fresh = await operations.create_refund(reserving, caller.scope, params, origin)
        if refund.status != RefundStatus.PENDING:
            return as_resource(refund)
        result = await ask_provider(state.providers.for_mode(caller.scope.livemode), refund, attempt,
                                    asked_before=not fresh)
        if result is not None:
            refund = await operations.record_refund_result(tx, refund.id, result, origin)
        return as_resource(refund)

    return await respond_once(conn, request, caller, raw, create)


@get(PATH + "/{refund_id:str}", summary="Retrieve a Refund", operation_class=documented(RefundResource))
async def retrieve_refund(request: Request, conn: Connection, caller: Caller, refund_id: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    return object_response(as_resource(await store.get_refund(conn, caller.scope, refund_id)))


@get(PATH, summary="List Refunds, newest first (filter: payment_intent)",
     operation_class=documented(list_of(RefundResource), RefundList, where="query"))
async def list_refunds(request: Request, conn: Connection, caller: Caller) -> Response:
    params = convert_params(query_params(request), RefundList)
    return list_response(PATH, await store.list_refunds(conn, caller.scope, params), as_resource)


HANDLERS = [create_refund, retrieve_refund, list_refunds]
