"""/v1/payment_intents: decode, call the payment operations, encode."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.idempotency import respond_once
from gateway.api.dependencies import Caller, Connection
from gateway.api.expanding import list_paths, take_expansions
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import list_response, object_response
from gateway.events.store import Origin
from gateway.idempotency.store import Write
from gateway.listing import ListParams
from gateway.errors import GatewayError
from gateway.payments import confirming, operations, store
from gateway.payments.model import (
    PaymentIntentCancel,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentResource,
    PaymentIntentUpdate,
    as_resource,
)
from gateway.sessions.owned_intents import refuse_canceling_a_session_intent

PATH = "/v1/payment_intents"
# Stripe's expandable properties of a PaymentIntent that are always null here: expanding null
# answers null, as Stripe does, so a client that always asks for them keeps working.
# (``payment_method`` is an id here and cannot be expanded: refused.)
NULL_EXPANSIONS = frozenset({"application", "customer", "latest_charge", "on_behalf_of", "review", "source"})


def without_expansions(params: dict, *, listing: bool = False) -> dict:
    return take_expansions(params, NULL_EXPANSIONS, listing=listing)[0]


@post(PATH, summary="Create a PaymentIntent",
      operation_class=documented(PaymentIntentResource, PaymentIntentCreate, expand=NULL_EXPANSIONS))
async def create_payment_intent(request: Request, conn: Connection, caller: Caller) -> Response:
    raw = await body_params(request)
    params = convert_params(without_expansions(raw), PaymentIntentCreate)

    async def create(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.create_payment_intent(tx, caller.scope, params, origin))

    async def create_in_one_round_trip(conn: AsyncConnection, origin: Origin):
        intent, event = await operations.new_payment_intent(conn, caller.scope, params, origin)
        return as_resource(intent), Write(*store.announced_insert(intent, event))

    return await respond_once(conn, request, caller, raw, create, first_try=create_in_one_round_trip)


@get(PATH + "/{intent_id:str}", summary="Retrieve a PaymentIntent",
     operation_class=documented(PaymentIntentResource, where="query", expand=NULL_EXPANSIONS))
async def retrieve_payment_intent(
    request: Request, conn: Connection, caller: Caller, intent_id: FromPath[str]
) -> Response:
    convert_params(without_expansions(query_params(request)), NoParams)
    return object_response(as_resource(await store.get_intent(conn, caller.scope, intent_id)))


@post(PATH + "/{intent_id:str}", summary="Update a PaymentIntent",
      operation_class=documented(PaymentIntentResource, PaymentIntentUpdate, expand=NULL_EXPANSIONS))
async def update_payment_intent(
    request: Request, conn: Connection, caller: Caller, intent_id: FromPath[str]
) -> Response:
    raw = await body_params(request)
    params = convert_params(without_expansions(raw), PaymentIntentUpdate)

    async def update(tx: AsyncConnection, origin: Origin):
        return as_resource(await operations.update_payment_intent(tx, caller.scope, intent_id, params, origin))

    return await respond_once(conn, request, caller, raw, update)


@post(PATH + "/{intent_id:str}/cancel", summary="Cancel a PaymentIntent",
      operation_class=documented(PaymentIntentResource, PaymentIntentCancel, expand=NULL_EXPANSIONS))
async def cancel_payment_intent(
    request: Request, conn: Connection, caller: Caller, intent_id: FromPath[str]
) -> Response:
    raw = await body_params(request)
    params = convert_params(without_expansions(raw), PaymentIntentCancel)

    async def cancel(tx: AsyncConnection, origin: Origin):
        await refuse_canceling_a_session_intent(tx, caller.scope, intent_id)
        return as_resource(await operations.cancel_payment_intent(tx, caller.scope, intent_id, params, origin))

    return await respond_once(conn, request, caller, raw, cancel)


@post(PATH + "/{intent_id:str}/confirm", summary="Confirm a PaymentIntent at a provider",
      operation_class=documented(PaymentIntentResource, PaymentIntentConfirm, expand=NULL_EXPANSIONS))
async def confirm_payment_intent(
    request: Request, conn: Connection, caller: Caller, intent_id: FromPath[str]
) -> Response:
    raw = await body_params(request)
    params = convert_params(without_expansions(raw), PaymentIntentConfirm)
    state = request.app.state

    async def confirm(tx: AsyncConnection, origin: Origin):
        outcome = await confirming.confirm_payment_intent(state.recording_pool, state.providers, tx, caller.scope, intent_id,
                                                          params, origin)
        return outcome if isinstance(outcome, GatewayError) else as_resource(outcome)

    return await respond_once(conn, request, caller, raw, confirm)


@get(PATH, summary="List PaymentIntents, newest first",
     operation_class=documented(list_of(PaymentIntentResource), ListParams, where="query",
                                expand=list_paths(NULL_EXPANSIONS)))
async def list_payment_intents(request: Request, conn: Connection, caller: Caller) -> Response:
    params = convert_params(without_expansions(query_params(request), listing=True), ListParams)
    return list_response(PATH, await store.list_intents(conn, caller.scope, params), as_resource)


HANDLERS = [create_payment_intent, retrieve_payment_intent, update_payment_intent, cancel_payment_intent,
            confirm_payment_intent, list_payment_intents]
