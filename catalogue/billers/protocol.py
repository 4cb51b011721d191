"""What the catalogue asks of the back-ends that know what is owed.

The methods take the caller's connection. The sandboxes keep their state in the
``catalogue`` schema and so act inside the caller's transaction: a bill is marked paid in
the same commit as the payment. An adapter for a real back-end (EVN's billing, the traffic
police's penalty records) cannot join that transaction; it would record the notice in the
caller's transaction (an outbox) and deliver it, keyed by ``payment_ref`` so that the
back-end applies it once however often it is sent.
"""

from __future__ import annotations

from typing import Protocol

from psycopg import AsyncConnection

from catalogue.model import Bill, Household


class Biller(Protocol):
    """Electricity bills, tax notices, penalty decisions: things with an amount to pay."""

    code: str
    lookup_keys: tuple[str, ...]  # the payer fields it can look up by

    async def look_up(self, conn: AsyncConnection, by: str, value: str) -> list[Bill]:
        """Every bill it knows for ``value`` of ``by``, paid or not, oldest first."""
        ...

    async def mark_paid(self, conn: AsyncConnection, reference: str, *, payment_ref: str, amount_minor: int) -> Bill:
        """Mark the bill paid by ``payment_ref``, exactly once.

        The same ``payment_ref`` again returns the bill unchanged (a retry); another one
        raises Conflict (``already_paid``); an amount other than the bill's raises
        InvalidInput (``wrong_amount``); an unknown reference raises NotFound.
        """
        ...


class HouseholdRegistry(Protocol):
    """The social-security register of households (for household health insurance)."""

    code: str
    lookup_keys: tuple[str, ...]

    async def find_household(self, conn: AsyncConnection, social_insurance_number: str) -> Household:
        """The household of a member, or NotFound."""
        ...
