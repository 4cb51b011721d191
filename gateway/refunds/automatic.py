"""Refunds the portal starts itself: a payment the intent did not need (a second attempt
succeeded after the first had paid, or one succeeded after the intent was canceled)."""

from __future__ import annotations

from datetime import datetime

from psycopg import AsyncConnection

from gateway.events.store import Origin
from gateway.payments.model import Attempt, PaymentIntent
from gateway.refunds.operations import reserve_refund
from gateway.refunds.transitions import automatic_refund


async def refund_unneeded_payment(conn: AsyncConnection, intent: PaymentIntent, attempt: Attempt, *,
                                  now: datetime) -> None:
    """Reserve the refund in the caller's transaction; the refund job asks the provider."""
    await reserve_refund(conn, intent, attempt, automatic_refund(attempt, now=now), Origin())
