"""A Checkout Session's PaymentIntent is the session's: its amount, currency and service are
those of the session's line items, which the citizen sees on the session's page and the
session's events report. An agency changes them by expiring the session and creating
another, never by updating or canceling the intent under it (Stripe refuses both)."""

from __future__ import annotations

from psycopg import AsyncConnection

from gateway.errors import UnexpectedState
from gateway.keys.model import Scope
from gateway.payments.model import PaymentIntent
from gateway.sessions import store


async def refuse_repricing_a_session_intent(conn: AsyncConnection, intent: PaymentIntent) -> None:
    session = await store.session_of_intent(conn, intent.agency_code, intent.id)
    if session is not None:
        raise UnexpectedState(f"This PaymentIntent belongs to Checkout Session {session.id}: its amount, currency"
                              " and service are the session's line items'. Expire the session and create another"
                              " to charge something else.", code="payment_intent_unexpected_state")


async def refuse_canceling_a_session_intent(conn: AsyncConnection, scope: Scope, intent_id: str) -> None:
    """Stripe's own refusal, word for word: a session's intent ends with its session."""
    session = await store.session_of_intent(conn, scope.agency_code, intent_id)
    # A session has its intent's mode: another mode's intent is left to answer 404.
    if session is not None and session.livemode == scope.livemode:
        raise UnexpectedState("You cannot perform this action on PaymentIntents created by Checkout. Try expiring"
                              " the Checkout Session instead.")
