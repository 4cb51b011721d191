"""The Balance: figures from the ledger and reconciliation, and its wire shape."""

from __future__ import annotations

from typing import Literal

import msgspec

from ledger.model import Balance
from reconciliation.agency_settlements import AgencySettlement


class AgencyBalance(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    pending_minor: int
    available_minor: int


def agency_balance(payable: Balance | None, settlement: AgencySettlement, currency: str) -> AgencyBalance:
    """``available``: settled by reconciliation and not yet remitted. ``pending``: the rest of
    what the agency's payable account holds, less the refunds it has reserved.

    The payable account holds what was collected for the agency, less refunds and
    remittances, so pending is what was collected, less refunds (posted or reserved), that
    no reconciliation run has settled yet. Either may be negative: a refund of settled
    money reduces pending at once and available only when a run settles the refund.
    """
    held_minor = 0 if payable is None else payable.available
    available_minor = settlement.settled_minor - settlement.remitted_minor
    return AgencyBalance(currency=currency, pending_minor=held_minor - available_minor,
                         available_minor=available_minor)


class BalanceAmount(msgspec.Struct, frozen=True, kw_only=True):
    amount: int
    currency: str
    # Stripe breaks amounts down by payment method; the figures here are the agency's
    # totals, not kept per method.
    source_types: dict[str, int] | None = None


class BalanceResource(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["balance"] = "balance"
    available: list[BalanceAmount]
    connect_reserved: list[BalanceAmount] | None = None  # no Connect accounts here
    livemode: bool
    pending: list[BalanceAmount]


def as_resource(balance: AgencyBalance, *, livemode: bool) -> BalanceResource:
    currency = balance.currency.lower()  # ISO 4217 in lower case on the wire, as Stripe writes it
    return BalanceResource(available=[BalanceAmount(amount=balance.available_minor, currency=currency)],
                           livemode=livemode, pending=[BalanceAmount(amount=balance.pending_minor, currency=currency)])
