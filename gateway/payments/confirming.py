"""Confirming a PaymentIntent: start an attempt at the provider the payer chose.

Three steps, because a provider call must never run inside a database transaction that
holds the intent: (1) the attempt is recorded and committed, so that a crash during the
call leaves a pending attempt for the status-query job to settle; (2) the provider is
asked; (3) its answer is applied (gateway.payments.settling) in the caller's transaction,
with the idempotent response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from gateway.errors import CardError, GatewayError, InvalidParameter, ProviderUnavailableError
from gateway.events.store import Origin
from gateway.identifiers import random_base62
from gateway.keys.model import Scope
from gateway.payments import attempt_store, store
from gateway.payments.model import Attempt, AttemptStatus, PaymentIntent, PaymentIntentConfirm, Status, as_resource
from gateway.payments.outcomes import Result
from gateway.payments.settling import settle_attempt
from gateway.payments.transitions import await_payer, begin_attempt
from gateway.provider_setup import Providers
from providers.errors import ProviderRejected, ProviderUnavailable
from providers.model import PaymentState
from providers.protocol import CardResult, ProviderAdapter, QrCode, Redirect, StartPayment

log = logging.getLogger(__name__)

CARD = "card"


def choose_provider(intent: PaymentIntent, params: PaymentIntentConfirm, known: frozenset[str]) -> str:
    """A card PaymentMethod means the card acquirer; otherwise the payment method type named
    in ``payment_method_data[type]``, or the only one the intent allows."""
    if params.payment_method is not None:
        chosen, param = CARD, "payment_method"
    elif params.payment_method_data is not None:
        chosen, param = params.payment_method_data.type, "payment_method_data[type]"
    else:
        allowed = params.payment_method_types or intent.payment_method_types
        if len(allowed) != 1:
            raise InvalidParameter("You must provide a payment_method or payment_method_data[type] to confirm"
                                   f" this PaymentIntent (it allows {', '.join(allowed)}).", param="payment_method")
        chosen, param = allowed[0], "payment_method_types"
    if chosen not in known:
        raise InvalidParameter(f"Unknown payment method type: {chosen} (known: {', '.join(sorted(known))}).",
                               param=param)
    if chosen not in (params.payment_method_types or intent.payment_method_types):
        raise InvalidParameter(f"The PaymentIntent does not allow payment method type {chosen}; its"
                               f" payment_method_types are {', '.join(intent.payment_method_types)}.", param=param)
    if chosen == CARD and params.payment_method is None:
        raise InvalidParameter("A card payment needs a payment_method, such as pm_card_visa in test mode.",
                               param="payment_method")
    return chosen


async def confirm_payment_intent(
    pool: AsyncConnectionPool, providers: Providers, tx: AsyncConnection, scope: Scope, intent_id: str,
    params: PaymentIntentConfirm, origin: Origin,
) -> PaymentIntent | GatewayError:
    """The confirmed intent, or the refusal to answer with (after it was recorded). ``pool``
    gives the connection the attempt is recorded on: not the one ``tx`` came from, which
    the caller holds meanwhile (see gateway.app.RECORDING_POOL_SIZE)."""
    adapters = providers.for_mode(scope.livemode)  # a test-mode payment never reaches a real provider
    attempt, intent = await _begin(pool, adapters, scope, intent_id, params, origin)
    if intent.status != Status.PROCESSING or intent.latest_attempt_ref != attempt.attempt_ref:
        return intent  # a retried confirm whose attempt has already been answered
    adapter = adapters[attempt.provider]
    request = StartPayment(
        attempt_ref=attempt.attempt_ref, amount_minor=attempt.amount_minor, currency=attempt.currency,
        description=f"Thanh toan {intent_id}", return_url=providers.links.return_url(attempt.provider, attempt.attempt_ref),
        notify_url=providers.callback_url(attempt.provider, scope.livemode), created_at=attempt.created_at,
        payment_method=attempt.payment_method,
    )
    try:
        started = await adapter.start_payment(request)
    except ProviderUnavailable as problem:
        log.warning("%s did not answer attempt %s: %s", attempt.provider, attempt.attempt_ref, problem.reason)
        # The outcome is unknown: the attempt stays pending for the status-query job.
        return ProviderUnavailableError(f"{attempt.provider} did not answer; the payment's outcome will be known"
                                        " shortly. Retrieve the PaymentIntent to follow it.")
    except ProviderRejected as refused:
        started = CardResult(provider_ref="", state=PaymentState.FAILED, failure_code=refused.code)
    return await _apply_start(tx, scope, intent_id, attempt, started, origin)


async def _begin(pool: AsyncConnectionPool, adapters: Mapping[str, ProviderAdapter], scope: Scope, intent_id: str,
                 params: PaymentIntentConfirm, origin: Origin) -> tuple[Attempt, PaymentIntent]:
    """Step 1, committed on a connection of its own. A confirm retried with its
    Idempotency-Key (after a crash) finds the attempt it started."""
    async with pool.connection() as conn, conn.transaction():
        intent = await store.get_intent(conn, scope, intent_id, for_update=True)
        if origin.idempotency_key is not None:
            earlier = await attempt_store.attempt_for_idempotency_key(conn, scope.agency_code, intent_id,
                                                                      origin.idempotency_key)
            if earlier is not None:
                return earlier, intent
        provider = choose_provider(intent, params, frozenset(adapters))
        if params.receipt_email is not None:
            intent = msgspec.structs.replace(intent, receipt_email=params.receipt_email)
        started, attempt = begin_attempt(
            intent, provider=provider, attempt_ref=new_attempt_ref(adapters[provider]),
            payment_method=params.payment_method or provider, return_url=params.return_url,
            idempotency_key=origin.idempotency_key, now=datetime.now(UTC))
        if provider != CARD and params.return_url is None:
            raise InvalidParameter("A return_url is needed to confirm a payment that redirects the payer.",
                                   param="return_url")
        await attempt_store.insert_attempt(conn, attempt)
        await store.save_intent(conn, started)
        return attempt, started


async def _apply_start(tx: AsyncConnection, scope: Scope, intent_id: str, attempt: Attempt,
                       started: Redirect | QrCode | CardResult, origin: Origin) -> PaymentIntent | GatewayError:
    """Step 3: what the provider said, in the caller's transaction."""
    match started:
        case CardResult():
            result = Result(state=started.state, provider_ref=started.provider_ref or None,
                            amount_minor=started.amount_minor, currency=started.currency,
                            failure_code=started.failure_code, decline_code=started.decline_code)
            verdict = await settle_attempt(tx, attempt.attempt_ref, result, origin)
            if verdict.intent.last_payment_error and verdict.attempt.status == AttemptStatus.FAILED:
                error = verdict.intent.last_payment_error
                return CardError(error["message"], code=error["code"], decline_code=error["decline_code"],
                                 payment_intent=msgspec.to_builtins(as_resource(verdict.intent)))
            return verdict.intent
        case Redirect() | QrCode():
            intent = await store.get_intent(tx, scope, intent_id, for_update=True)
            if intent.latest_attempt_ref != attempt.attempt_ref or intent.status != Status.PROCESSING:
                return intent  # the provider has already answered (a callback beat us here)
            waiting = await_payer(intent, next_action(started, attempt))
            await store.save_intent(tx, waiting)
            return waiting


def next_action(started: Redirect | QrCode, attempt: Attempt) -> dict[str, Any]:
    """Stripe's next_action: a redirect, or a QR to show (like paynow_display_qr_code)."""
    if isinstance(started, Redirect):
        return {"type": "redirect_to_url", "redirect_to_url": {"url": started.url, "return_url": attempt.return_url}}
    if attempt.provider == "vietqr":
        return {"type": "vietqr_display_qr_code",
                "vietqr_display_qr_code": {"data": started.payload, "reference": attempt.attempt_ref,
                                           "amount": attempt.amount_minor, "currency": attempt.currency.lower()}}
    return {"type": "redirect_to_url", "redirect_to_url": {"url": started.url, "return_url": attempt.return_url},
            f"{attempt.provider}_display_qr_code": {"data": started.payload, "deeplink": started.deeplink}}


def new_attempt_ref(adapter: ProviderAdapter) -> str:
    """Providers that carry our reference in a constrained field (VietQR's transfer purpose)
    issue it themselves; the others take ours: letters and digits only, as VNPAY requires."""
    issue = getattr(adapter, "new_reference", None)
    return issue() if issue is not None else f"PA{random_base62(22)}"
