"""/v1/dossiers: citizens submit a dossier and follow it with its code and tracking secret
(no API key); the agency that owns a dossier reads it, moves it on and requests payment
(with its API key; another agency's dossier is a 404).

A dossier has a mode: one submitted to a sandbox gateway is a test-mode dossier, one
submitted to a live gateway a live one. Citizens reach the dossiers of the gateway's mode;
an agency's key only those of its own mode (another mode's dossier is a 404 too)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from msgspec import Meta
from psycopg import AsyncConnection

from catalogue import procedures
from catalogue.errors import CatalogueError
from catalogue.model import Dossier, DossierStatus, DossierTracking
from gateway.api.catalogue import catalogue_refusal
from gateway.api.dependencies import Caller, Connection
from gateway.api.idempotency import respond_once
from gateway.api.openapi import documented
from gateway.api.params import NoParams, body_params, convert_params, query_params
from gateway.api.responses import object_response
from gateway.errors import ResourceMissing
from gateway.events.store import Origin
from gateway.keys.model import ApiKey
from gateway.web.cookies import livemode

PATH = "/v1/dossiers"
Note = Annotated[str, Meta(max_length=2000)]


class SubmitParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    service: str
    applicant_name: str
    contact: str
    fields: dict[str, str] = {}


class TrackParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # In the body, not the URL: a secret in a URL ends up in logs and browser history.
    tracking_secret: str


class AdvanceParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    status: Literal["received", "in_progress", "completed", "rejected", "returned_for_supplement"]
    note: Note | None = None


class RequestPaymentParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    note: Note | None = None


class DossierResource(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["dossier"] = "dossier"
    dossier: Dossier


class SubmittedResource(DossierResource, frozen=True, kw_only=True):
    tracking_secret: str  # shown once: only its hash is kept


class TrackingResource(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["dossier_tracking"] = "dossier_tracking"
    tracking: DossierTracking


@post(PATH, summary="Submit a dossier (citizens; no key)", operation_class=documented(SubmittedResource, SubmitParams))
async def submit(request: Request, conn: Connection) -> Response:
    params = convert_params(await body_params(request), SubmitParams)
    try:
        submitted = await procedures.submit_dossier(conn, params.service, applicant_name=params.applicant_name,
                                                    contact=params.contact, fields=params.fields,
                                                    livemode=livemode(request))
    except CatalogueError as exc:
        raise catalogue_refusal(exc, inputs_param="fields") from None
    return object_response(SubmittedResource(dossier=submitted.dossier, tracking_secret=submitted.tracking_secret))


@post(PATH + "/{code:str}/track", summary="Follow a dossier with its tracking secret (no key)",
      operation_class=documented(TrackingResource, TrackParams))
async def track(request: Request, conn: Connection, code: FromPath[str]) -> Response:
    params = convert_params(await body_params(request), TrackParams)
    try:
        tracking = await procedures.track_dossier(conn, code, params.tracking_secret,
                                                  livemode=livemode(request))
        return object_response(TrackingResource(tracking=tracking))
    except CatalogueError as exc:
        raise catalogue_refusal(exc) from None


async def _own_dossier(conn: AsyncConnection, caller: ApiKey, code: str) -> Dossier:
    try:
        dossier = await procedures.get_dossier(conn, code, livemode=caller.scope.livemode)
    except CatalogueError as exc:
        raise catalogue_refusal(exc) from None
    if dossier.agency_code != caller.agency_code:
        raise ResourceMissing(f"No such dossier: '{code}'", param="dossier")
    return dossier


@get(PATH + "/{code:str}", summary="Retrieve one of your agency's dossiers",
     operation_class=documented(DossierResource))
async def retrieve(request: Request, conn: Connection, caller: Caller, code: FromPath[str]) -> Response:
    convert_params(query_params(request), NoParams)
    return object_response(DossierResource(dossier=await _own_dossier(conn, caller, code)))


async def _agency_action(request: Request, conn: Connection, caller: ApiKey, code: str, params_type, act) -> Response:
    """Run ``act(tx, params)`` on the caller's own dossier, once per Idempotency-Key."""
    raw = await body_params(request)
    params = convert_params(raw, params_type)

    async def run(tx: AsyncConnection, origin: Origin) -> DossierResource:
        await _own_dossier(tx, caller, code)
        try:
            return DossierResource(dossier=await act(tx, params))
        except CatalogueError as exc:
            raise catalogue_refusal(exc) from None

    return await respond_once(conn, request, caller, raw, run)


@post(PATH + "/{code:str}/advance", summary="Move a dossier on",
      operation_class=documented(DossierResource, AdvanceParams))
async def advance(request: Request, conn: Connection, caller: Caller, code: FromPath[str]) -> Response:
    return await _agency_action(request, conn, caller, code, AdvanceParams, lambda tx, params: procedures.advance_dossier(
        tx, code, DossierStatus(params.status), livemode=caller.scope.livemode, actor=caller.display_prefix,
        note=params.note))


@post(PATH + "/{code:str}/request_payment", summary="Ask the applicant to pay what the dossier costs",
      operation_class=documented(DossierResource, RequestPaymentParams))
async def request_payment(request: Request, conn: Connection, caller: Caller, code: FromPath[str]) -> Response:
    return await _agency_action(request, conn, caller, code, RequestPaymentParams, lambda tx, params: procedures.request_payment(
        tx, code, livemode=caller.scope.livemode, actor=caller.display_prefix, note=params.note))


HANDLERS = [submit, track, retrieve, advance, request_payment]
