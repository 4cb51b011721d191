"""The one thing a payment tells its Checkout Session: its PaymentIntent has succeeded.

Called by gateway.payments.settling in the transaction that records the success, with the
intent's row locked (the lock every change to the session takes first), so the session is
complete, and ``checkout.session.completed`` written, exactly when the intent succeeded."""

from __future__ import annotations

from datetime import datetime

from psycopg import AsyncConnection

from gateway.events.store import Origin
from gateway.payments.model import PaymentIntent
from gateway.sessions import store
from gateway.sessions.announcing import save_and_announce
from gateway.sessions.model import Status
from gateway.sessions.transitions import complete_session


async def complete_session_paid_by(conn: AsyncConnection, intent: PaymentIntent, origin: Origin,
                                   now: datetime) -> None:
    session = await store.session_of_intent(conn, intent.agency_code, intent.id, for_update=True)
    # An expired session's intent was canceled with it, and cannot succeed (late money is
    # refunded by gateway.payments.outcomes): only an open session is completed.
    if session is not None and session.status == Status.OPEN:
        await save_and_announce(conn, complete_session(session, now), "checkout.session.completed", origin, now)
