"""What reconciliation borrows from the gateway to prove and book a payment the ledger lacks.

A line missing in the ledger may be a payment whose callback was lost. Only the gateway
can tell: it knows the attempt, asks its provider, and books a paid attempt the way it
books every payment (the intent succeeds, its money is split to the agencies, its event
is written). It can also tell when it refused the payment: the provider took another
amount than the attempt asked, so the attempt was flagged and nothing booked.
Reconciliation may not import the gateway, so the gateway lends it these callables; money
no attempt of the gateway's explains stays an exception, in suspense.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import msgspec
from psycopg import AsyncConnection

from providers.model import PaymentState, PaymentStatus

QueryStatus = Callable[[str, str], Awaitable[PaymentStatus]]  # (provider, attempt_ref) -> the provider's answer


class Recovered(msgspec.Struct, frozen=True, kw_only=True):
    """A payment the gateway now holds as paid, booked under the attempt reference."""

    transfer_ids: tuple[str, ...]  # its ledger transfers (one per agency of a split)
    booked_now: bool  # False: already booked when asked (a callback came in the meantime)


# (conn, provider, attempt_ref, the provider's answer proving it paid) -> the booking, or
# None when the gateway has no attempt that this money pays. Runs in the caller's
# transaction, which also records the recovery: both commit together or neither does.
BookPaid = Callable[[AsyncConnection, str, str, PaymentStatus], Awaitable[Recovered | None]]


class RefusedAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """The gateway's attempt whose payment it refused for its amount: what it asked, where
    it stands. The evidence finance staff need beside the provider's line."""

    attempt_ref: str
    intent_id: str
    status: str
    flag: str
    amount_minor: int  # what the attempt asked
    currency: str
    created_at: datetime


# (conn, provider, attempt_refs) -> those of the references whose payment the gateway
# refused for its amount, by reference.
RefusedAttempts = Callable[[AsyncConnection, str, Sequence[str]], Awaitable[dict[str, RefusedAttempt]]]


async def refuses_nothing(conn: AsyncConnection, provider: str,
                          attempt_refs: Sequence[str]) -> dict[str, RefusedAttempt]:
    """For a Recovery lent by something that refuses no payment (a test's fake provider)."""
    return {}


@dataclass(frozen=True)
class Recovery:
    query_status: QueryStatus
    book_paid: BookPaid
    refused_attempts: RefusedAttempts = refuses_nothing


def proves_paid(status: PaymentStatus | None, amount_minor: int, currency: str) -> bool:
    return (status is not None and status.state == PaymentState.SUCCEEDED
            and status.amount_minor == amount_minor and status.currency == currency)
