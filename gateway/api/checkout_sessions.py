"""/v1/checkout/sessions: decode, call the session operations, encode.

A session's ``line_items`` (includable: absent unless asked for) and ``payment_intent`` (its
id, or the whole PaymentIntent) may be expanded, as Stripe's may: ``expand[]=line_items`` on
create, retrieve and expire, ``expand[]=data.line_items`` on the list."""

from __future__ import annotations

from functools import partial

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Caller, Connection
from gateway.api.expanding import list_paths, take_expansions
from gateway.api.idempotency import respond_once
from gateway.api.openapi import documented, list_of
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import ListObject, list_response, object_response
from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.listing import ListParams
from gateway.payments import model as intent_model
from gateway.payments import store as intent_store
from gateway.sessions import operations, store
from gateway.sessions.model import (
    CheckoutSession,
    CheckoutSessionCreate,
    CheckoutSessionList,
    CheckoutSessionResource,
    LineItemList,
    LineItemResource,
    as_resource,
    line_item_resource,
)
from gateway.sessions.paging import page_of_line_items

PATH = "/v1/checkout/sessions"
EXPANDABLE = frozenset({"line_items", "payment_intent"})


def _line_items_path(session_id: str) -> str:
    return f"{PATH}/{session_id}/line_items"


async def _shown(conn: AsyncConnection, scope: Scope, session: CheckoutSession,
                 expand: frozenset[str]) -> CheckoutSessionResource:
    """The session as the API shows it, with what ``expand`` asked for."""
    if "payment_intent" not in expand:
        return _expanded(session, expand, None)
    return _expanded(session, expand, await intent_store.get_intent(conn, scope, session.payment_intent_id))


async def shown_sessions(conn: AsyncConnection, scope: Scope, sessions: list[CheckoutSession],
                         expand: frozenset[str]) -> list[CheckoutSessionResource]:
    """A page of sessions as the API shows them; their intents, if asked for, read at once."""
    intents = (await intent_store.get_intents(conn, scope, [session.payment_intent_id for session in sessions])
               if "payment_intent" in expand else {})
    return [_expanded(session, expand, intents.get(session.payment_intent_id)) for session in sessions]


def _expanded(session: CheckoutSession, expand: frozenset[str],
              intent: intent_model.PaymentIntent | None) -> CheckoutSessionResource:
    """The session's resource with what ``expand`` asked for (``intent``: its PaymentIntent, when asked)."""
    resource = as_resource(session)
    if "line_items" in expand:  # the first page of its own list, as Stripe embeds it
        page = page_of_line_items(session.line_items, ListParams())
        resource = msgspec.structs.replace(resource, line_items=LineItemList(
            data=[line_item_resource(session, item) for item in page.items], has_more=page.has_more,
            url=_line_items_path(session.id)))
    if intent is not None:
        resource = msgspec.structs.replace(resource, payment_intent=intent_model.as_resource(intent))
    return resource


@post(PATH, summary="Create a Checkout Session (mode=payment) and its PaymentIntent",
      operation_class=documented(CheckoutSessionResource, CheckoutSessionCreate, expand=EXPANDABLE))
async def create_checkout_session(request: Request, conn: Connection, caller: Caller) -> Response:
    raw = await body_params(request)
    given, expand = take_expansions(raw, EXPANDABLE)
    params = convert_params(given, CheckoutSessionCreate)
    state = request.app.state

    async def create(tx: AsyncConnection, origin: Origin):
        session = await operations.create_checkout_session(
            tx, caller.scope, params, origin, public_url=state.settings.public_url,
            available_methods=list(state.providers.adapters))
        return await _shown(tx, caller.scope, session, expand)

    return await respond_once(conn, request, caller, raw, create)


@get(PATH + "/{session_id:str}", summary="Retrieve a Checkout Session",
     operation_class=documented(CheckoutSessionResource, where="query", expand=EXPANDABLE))
async def retrieve_checkout_session(request: Request, conn: Connection, caller: Caller,
                                    session_id: FromPath[str]) -> Response:
    given, expand = take_expansions(query_params(request), EXPANDABLE)
    convert_params(given, NoParams)
    session = await store.get_session(conn, caller.scope, session_id)
    return object_response(await _shown(conn, caller.scope, session, expand))


@get(PATH, summary="List Checkout Sessions, newest first (filters: payment_intent, status)",
     operation_class=documented(list_of(CheckoutSessionResource), CheckoutSessionList, where="query",
                               expand=list_paths(EXPANDABLE)))
async def list_checkout_sessions(request: Request, conn: Connection, caller: Caller) -> Response:
    given, expand = take_expansions(query_params(request), EXPANDABLE, listing=True)
    params = convert_params(given, CheckoutSessionList)
    page = await store.list_sessions(conn, caller.scope, params)
    shown = await shown_sessions(conn, caller.scope, page.items, expand)
    return object_response(ListObject(url=PATH, has_more=page.has_more, data=shown))


@post(PATH + "/{session_id:str}/expire", summary="Expire an open Checkout Session (its PaymentIntent is canceled)",
      operation_class=documented(CheckoutSessionResource, expand=EXPANDABLE))
async def expire_checkout_session(request: Request, conn: Connection, caller: Caller,
                                  session_id: FromPath[str]) -> Response:
    raw = await body_params(request)
    given, expand = take_expansions(raw, EXPANDABLE)
    convert_params(given, NoParams)

    async def expire(tx: AsyncConnection, origin: Origin):
        session = await operations.expire_checkout_session(tx, caller.scope, session_id, origin)
        return await _shown(tx, caller.scope, session, expand)

    return await respond_once(conn, request, caller, raw, expire)


@get(PATH + "/{session_id:str}/line_items", summary="List a Checkout Session's line items, in their order",
     operation_class=documented(list_of(LineItemResource), ListParams, where="query"))
async def list_line_items(request: Request, conn: Connection, caller: Caller, session_id: FromPath[str]) -> Response:
    params = convert_params(query_params(request), ListParams)
    session = await store.get_session(conn, caller.scope, session_id)
    return list_response(_line_items_path(session_id), page_of_line_items(session.line_items, params),
                         partial(line_item_resource, session))


HANDLERS = [create_checkout_session, retrieve_checkout_session, list_checkout_sessions, expire_checkout_session,
            list_line_items]
