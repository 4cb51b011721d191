"""What reconciliation borrows from the gateway to prove and book a payment the ledger lacks.

A line missing in the ledger may be a payment whose callback was lost. Only the gateway
can tell: it knows the attempt, asks its provider, and books a paid attempt the way it
books every payment (the intent succeeds, its money is split to the agencies, its event
is written). Reconciliation may not import the gateway, so the gateway lends it two
callables; money no attempt of the gateway's explains stays an exception, in suspense.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Recovery:
    query_status: QueryStatus
    book_paid: BookPaid


def proves_paid(status: PaymentStatus | None, amount_minor: int, currency: str) -> bool:
    return (status is not None and status.state == PaymentState.SUCCEEDED
            and status.amount_minor == amount_minor and status.currency == currency)
