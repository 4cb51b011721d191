"""Checkout Session operations, each in the caller's transaction: a session is created with
its PaymentIntent, and expires with it (the intent canceled, ``checkout.session.expired``
written), so that neither ever exists without the other.

Every change that touches both locks the intent's row first and the session's second, as
the payment's settlement does (gateway.sessions.completion)."""

from __future__ import annotations

from datetime import UTC, datetime

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from catalogue import store as catalogue_store
from catalogue.errors import CatalogueError
from gateway.errors import InvalidParameter, UnexpectedState
from gateway.events.store import Origin
from gateway.keys.model import Scope
from gateway.payments import store as intent_store
from gateway.payments.model import CancellationReason, PaymentIntent, PaymentIntentCancel, PaymentIntentCreate
from gateway.payments.model import Status as IntentStatus
from gateway.payments.operations import cancel_payment_intent, create_payment_intent
from gateway.payments.transitions import CANCELABLE
from gateway.sessions import store
from gateway.sessions.announcing import save_and_announce
from gateway.sessions.model import CheckoutSession, CheckoutSessionCreate, LineItem
from gateway.sessions.transitions import CURRENCY, expire_session, line_items_of, new_session_id, open_session

PAGE_PATH = "/checkout/sessions/"
MAX_DESCRIPTION_LENGTH = 1000
# An intent in any of these states can go with its expiring session; one that is processing
# waits for its provider's answer (the expiry job tries again later).
EXPIRABLE = sorted(CANCELABLE | {IntentStatus.CANCELED})
EXPIRY_BATCH = 100


async def create_checkout_session(
    conn: AsyncConnection, scope: Scope, params: CheckoutSessionCreate, origin: Origin, *, public_url: str,
    available_methods: list[str],
) -> CheckoutSession:
    """``available_methods``: the payment method types this gateway has a provider for."""
    now = datetime.now(UTC)
    items = line_items_of(params)
    methods = await _payment_method_types(conn, params, available_methods)
    try:
        intent = await create_payment_intent(conn, scope, PaymentIntentCreate(
            amount=sum(item.amount_minor for item in items), currency=CURRENCY, description=_description(items),
            receipt_email=params.customer_email, payment_method_types=methods, service=params.service,
            service_inputs=params.service_inputs, reference=params.reference, payer=params.payer), origin)
    except InvalidParameter as refused:
        if refused.param == "amount":  # the catalogue's price is not the line items' total
            refused.param = "line_items"
        raise
    session_id = new_session_id(scope.livemode)
    session = open_session(params, items, session_id=session_id, agency_code=scope.agency_code,
                           livemode=scope.livemode, intent_id=intent.id, payment_method_types=methods,
                           url=f"{public_url}{PAGE_PATH}{session_id}", now=now)
    await store.insert_session(conn, session)
    return session


async def expire_checkout_session(conn: AsyncConnection, scope: Scope, session_id: str,
                                  origin: Origin) -> CheckoutSession:
    unlocked = await store.get_session(conn, scope, session_id)
    intent = await intent_store.get_intent(conn, scope, unlocked.payment_intent_id, for_update=True)
    session = await store.get_session(conn, scope, session_id, for_update=True)
    return await _expire(conn, scope, session, intent, origin)


async def expire_due_sessions(pool: AsyncConnectionPool) -> int:
    """Expire open sessions past their ``expires_at``, one per transaction; safe in every
    process at once (see store.CLAIM_DUE). Returns how many it expired."""
    expired = 0
    async with pool.connection() as conn:
        while expired < EXPIRY_BATCH:
            async with conn.transaction():
                claimed = await store.claim_due_session(conn, datetime.now(UTC), EXPIRABLE)
                if claimed is None:
                    break
                scope, session_id = claimed
                session = await store.get_session(conn, scope, session_id)
                intent = await intent_store.get_intent(conn, scope, session.payment_intent_id)
                await _expire(conn, scope, session, intent, Origin())
            expired += 1
    return expired


async def _expire(conn: AsyncConnection, scope: Scope, session: CheckoutSession, intent: PaymentIntent,
                  origin: Origin) -> CheckoutSession:
    """With the intent's and the session's rows locked."""
    now = datetime.now(UTC)
    expired = expire_session(session, now)
    if intent.status in CANCELABLE:
        await cancel_payment_intent(conn, scope, intent.id,
                                    PaymentIntentCancel(cancellation_reason=CancellationReason.ABANDONED), origin)
    elif intent.status != IntentStatus.CANCELED:
        raise UnexpectedState("This Checkout Session's payment is being processed by its provider; it can expire"
                              " once the provider has answered.", code="checkout_session_unexpected_state")
    await save_and_announce(conn, expired, "checkout.session.expired", origin, now)
    return expired


async def _payment_method_types(conn: AsyncConnection, params: CheckoutSessionCreate,
                                available: list[str]) -> list[str]:
    """As asked, or the service's providers, or every provider we have."""
    if params.payment_method_types is not None:
        unknown = [method for method in params.payment_method_types if method not in available]
        if unknown or not params.payment_method_types:
            raise InvalidParameter(f"Unknown payment method type: {', '.join(unknown) or '(none)'} (known:"
                                   f" {', '.join(available)}).", param="payment_method_types")
        return list(params.payment_method_types)
    if params.service is not None:
        try:
            service = await catalogue_store.get_service(conn, params.service)
        except CatalogueError:
            pass  # the intent's creation names what is wrong with the service
        else:
            return [method for method in service.providers if method in available]
    return list(available)


def _description(items: list[LineItem]) -> str:
    """What the payment pages and the receipt call the payment."""
    return "; ".join(item.name for item in items)[:MAX_DESCRIPTION_LENGTH]
