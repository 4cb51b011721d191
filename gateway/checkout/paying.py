"""Choose how to pay, go to the provider (or see the VietQR code), and follow the payment
until the provider's confirmation has been verified. The pages answer only to the browser
that started the payment (``ownership``)."""

from __future__ import annotations

import secrets

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.checkout import catalogue_names
from gateway.checkout.ownership import owned_scope
from gateway.checkout.page_input import form_text, livemode, origin_request_id
from gateway.checkout.payment_choice import CARD, PaymentChoice, payment_choices, read_choice
from gateway.checkout.session_page import paid_session_redirect
from gateway.checkout.status_view import view_status
from gateway.errors import CardError, GatewayError, ResourceMissing
from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.payments import store
from gateway.payments.confirming import confirm_payment_intent
from gateway.payments.model import PaymentIntent, PaymentIntentConfirm, PaymentIntentUpdate, PaymentMethodData, Status
from gateway.payments.operations import update_payment_intent
from gateway.web.cookies import web_settings
from gateway.web.form_errors import FieldError
from gateway.web.templating import page_translator, render

MAX_PAYER_LENGTH = 200


async def owned_intent(request: Request, conn: AsyncConnection, intent_id: str) -> tuple[Scope, PaymentIntent]:
    """The payment if this browser started it; otherwise a 404 page, as for an id that does not exist."""
    scope = owned_scope(request, intent_id)
    if scope is None:
        raise NotFoundException()
    try:
        return scope, await store.get_intent(conn, scope, intent_id)
    except ResourceMissing:
        raise NotFoundException() from None


async def _choice_page(request: Request, conn: AsyncConnection, intent: PaymentIntent, *, payer: str = "",
                       errors: list[FieldError] | None = None) -> Template:
    service = await catalogue_names.services.get(conn, intent.service) if intent.service else None
    agency = await catalogue_names.agency_or_none(conn, intent.agency_code)
    sandbox = not livemode(request)
    return render(request, "checkout/pay.html", status_code=400 if errors else 200, intent=intent, service=service,
                  agency=agency, choices=payment_choices(intent.payment_method_types, request.app.state.providers,
                                                         sandbox=sandbox),
                  payer=payer or intent.payer or "", attempt_key=secrets.token_urlsafe(16), errors=errors or [],
                  by_field=FieldError.by_field(errors or []))


@get("/pay/{intent_id:str}")
async def choose_payment(request: Request, conn: Connection, intent_id: FromPath[str]) -> Template | Redirect:
    _, intent = await owned_intent(request, conn, intent_id)
    if intent.status not in (Status.REQUIRES_PAYMENT_METHOD, Status.REQUIRES_CONFIRMATION):
        return Redirect(f"/pay/{intent_id}/status", status_code=303)
    return await _choice_page(request, conn, intent)


@post("/pay/{intent_id:str}")
async def confirm_payment(request: Request, conn: Connection, intent_id: FromPath[str]) -> Template | Redirect:
    scope, intent = await owned_intent(request, conn, intent_id)
    if intent.status not in (Status.REQUIRES_PAYMENT_METHOD, Status.REQUIRES_CONFIRMATION):
        return Redirect(f"/pay/{intent_id}/status", status_code=303)
    t = page_translator(request)
    payer = " ".join((await form_text(request, "payer")).split())[:MAX_PAYER_LENGTH]
    choice = read_choice(await form_text(request, "method"), await form_text(request, "test_card"),
                         payment_choices(intent.payment_method_types, request.app.state.providers,
                                         sandbox=not livemode(request)))
    errors = [FieldError("payer", t("checkout.errors.payer.missing_field"))] if not payer else []
    errors += [FieldError("method", t("checkout.errors.method.missing_field"))] if choice is None else []
    if errors:
        return await _choice_page(request, conn, intent, payer=payer, errors=errors)
    assert choice is not None
    origin = Origin(request_id=origin_request_id(request),
                    # The form's own key: a double-clicked "Pay" starts one attempt, not two.
                    idempotency_key=f"checkout-{(await form_text(request, 'attempt_key'))[:64] or secrets.token_urlsafe(16)}")
    if payer != intent.payer:
        async with conn.transaction():
            await update_payment_intent(conn, scope, intent_id, PaymentIntentUpdate(payer=payer), origin)
    try:
        outcome = await _confirm(request, conn, scope, intent_id, choice, origin)
    except GatewayError:  # the intent changed under us (cancelled by its agency, paid in another tab)
        return Redirect(f"/pay/{intent_id}/status", status_code=303)
    if isinstance(outcome, CardError):
        return await _choice_page(request, conn, intent, payer=payer,
                                  errors=[FieldError("method", t("checkout.errors.method.declined"))])
    if isinstance(outcome, PaymentIntent) and outcome.next_action and outcome.next_action["type"] == "redirect_to_url":
        return Redirect(outcome.next_action["redirect_to_url"]["url"], status_code=303)
    # A QR to show, a card already answered, or a provider that did not answer in time: the
    # status page shows which, and follows the payment from there.
    return Redirect(f"/pay/{intent_id}/status", status_code=303)


async def _confirm(request: Request, conn: AsyncConnection, scope: Scope, intent_id: str, choice: PaymentChoice,
                   origin: Origin) -> PaymentIntent | GatewayError:
    return_url = f"{web_settings(request).public_url}/pay/{intent_id}/return"
    if choice.provider == CARD:
        params = PaymentIntentConfirm(payment_method=choice.payment_method, return_url=return_url)
    else:
        params = PaymentIntentConfirm(payment_method_data=PaymentMethodData(type=choice.provider), return_url=return_url)
    state = request.app.state
    async with conn.transaction():
        return await confirm_payment_intent(state.recording_pool, state.providers, conn, scope, intent_id, params, origin)


@get("/pay/{intent_id:str}/return")
async def back_from_provider(intent_id: FromPath[str]) -> Redirect:
    """Where a provider sends the payer back. The query it adds (the intent's client secret
    among it) is dropped here, so that it stays out of the address bar, history and any
    later Referer; the status page then asks the database, not the query, what happened."""
    return Redirect(f"/pay/{intent_id}/status", status_code=303)


@get("/pay/{intent_id:str}/status")
async def payment_status(request: Request, conn: Connection, intent_id: FromPath[str]) -> Template | Redirect:
    _, intent = await owned_intent(request, conn, intent_id)
    if intent.status == Status.SUCCEEDED:  # a Checkout Session's payment goes on to the agency
        if (to_session := await paid_session_redirect(conn, intent.agency_code, intent_id)) is not None:
            return to_session
    return render(request, "checkout/status.html", intent=intent,
                  view=view_status(intent, sandbox=not livemode(request)))


@get("/pay/{intent_id:str}/state")
async def payment_state(request: Request, conn: Connection, intent_id: FromPath[str]) -> dict[str, str]:
    """What the status page would show, for its script to notice a change without reloading."""
    _, intent = await owned_intent(request, conn, intent_id)
    return {"state": view_status(intent, sandbox=not livemode(request)).kind}


HANDLERS = [choose_payment, confirm_payment, back_from_provider, payment_status, payment_state]
