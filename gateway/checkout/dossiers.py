"""A citizen's dossier: pay what the agency asked for, and follow its timeline. Both need
the dossier code and its tracking secret, the two things the citizen got on submitting."""

from __future__ import annotations

import time

from litestar import Request, get, post
from litestar.response import Redirect, Template
from psycopg import AsyncConnection

from catalogue import store as catalogue_store
from catalogue.errors import CatalogueError
from catalogue.model import DOSSIER_NUMBER_FIELD, DossierStatus, DossierTracking
from catalogue.procedures import get_dossier, track_dossier
from gateway.api.dependencies import Connection
from gateway.checkout.page_input import (
    check_lookup_limit,
    form_amount,
    form_text,
    origin_request_id,
    refusal,
    to_payment,
)
from gateway.checkout.payment_start import start_payment
from gateway.web.cookies import livemode
from gateway.web.form_errors import FieldError
from gateway.web.signed_values import seal, unseal
from gateway.web.signing_key import request_signing_key
from gateway.web.templating import page_translator, render

CODE, SECRET = "dossier_code", "tracking_secret"
PROOF_PURPOSE = "dossier-payment"
PROOF_LIFETIME_S = 15 * 60


def _form_page(request: Request, purpose: str, code: str = "", errors: list[FieldError] | None = None) -> Template:
    return render(request, "checkout/dossier_form.html", status_code=400 if errors else 200, purpose=purpose,
                  code=code, errors=errors or [], by_field=FieldError.by_field(errors or []))


async def _tracked(request: Request, conn: AsyncConnection, purpose: str) -> DossierTracking | Template:
    """The dossier for the code and secret in the form, or the form again with what is wrong."""
    check_lookup_limit(request)
    code = (await form_text(request, CODE)).strip().upper()
    secret = await form_text(request, SECRET)
    t = page_translator(request)
    errors = [FieldError(CODE, t("checkout.errors.dossier_code.missing_field"))] if not code else []
    errors += [FieldError(SECRET, t("checkout.errors.tracking_secret.missing_field"))] if not secret.strip() else []
    if errors:
        return _form_page(request, purpose, code, errors)
    try:
        return await track_dossier(conn, code, secret, livemode=livemode(request))
    except CatalogueError as error:
        return _form_page(request, purpose, code, [refusal(t, CODE, error)])


@get("/dossiers/pay")
async def dossier_payment_form(request: Request) -> Template:
    return _form_page(request, "pay")


@post("/dossiers/pay")
async def dossier_amount(request: Request, conn: Connection) -> Template:
    tracked = await _tracked(request, conn, "pay")
    if isinstance(tracked, Template):
        return tracked
    # The next form proves that this browser gave the secret, without the secret itself
    # being written into the page: the dossier's code, sealed, for PROOF_LIFETIME_S.
    proof = seal(request_signing_key(request), PROOF_PURPOSE, [tracked.code, int(time.time()) + PROOF_LIFETIME_S])
    return render(request, "checkout/dossier_amount.html", dossier=tracked, proof=proof,
                  awaiting=tracked.status == DossierStatus.AWAITING_PAYMENT)


@post("/dossiers/pay/start")
async def pay_dossier(request: Request, conn: Connection) -> Redirect | Template:
    t = page_translator(request)
    proven = unseal(request_signing_key(request), PROOF_PURPOSE, await form_text(request, "proof"), tuple[str, int])
    if proven is None or proven[1] < time.time():
        return _form_page(request, "pay", proven[0] if proven else "",
                          [FieldError(CODE, t("checkout.errors.dossier_code.expired"))])
    dossier = await get_dossier(conn, proven[0], livemode=livemode(request))
    if dossier.status != DossierStatus.AWAITING_PAYMENT:  # paid meanwhile, in another tab
        return _form_page(request, "pay", dossier.code, [FieldError(CODE, t("checkout.errors.dossier_code.not_awaiting"))])
    service = await catalogue_store.get_service(conn, dossier.service_code)
    inputs = {name: str(value) for name, value in dossier.fields.items()}
    if any(field.name == DOSSIER_NUMBER_FIELD for field in service.fields):
        inputs[DOSSIER_NUMBER_FIELD] = dossier.code
    try:
        intent = await start_payment(conn, service.code, inputs, expected_minor=await form_amount(request),
                                     livemode=livemode(request), reference=dossier.code,
                                     request_id=origin_request_id(request))
    except CatalogueError as error:
        return _form_page(request, "pay", dossier.code, [refusal(t, CODE, error)])
    return to_payment(request, intent)


@get("/dossiers/track")
async def tracking_form(request: Request) -> Template:
    return _form_page(request, "track")


@post("/dossiers/track")
async def dossier_timeline(request: Request, conn: Connection) -> Template:
    tracked = await _tracked(request, conn, "track")
    if isinstance(tracked, Template):
        return tracked
    return render(request, "checkout/dossier_timeline.html", dossier=tracked)


HANDLERS = [dossier_payment_form, dossier_amount, pay_dossier, tracking_form, dossier_timeline]
