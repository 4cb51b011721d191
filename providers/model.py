"""Values every provider adapter speaks in, whatever its own protocol."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Literal

import msgspec


class SettlementLine(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a provider's daily settlement file, in our terms.

    ``attempt_ref`` is our reference for the payment attempt (or refund), the one we sent
    the provider (VNPAY's vnp_TxnRef, MoMo's orderId, the VietQR purpose field); the
    gateway posts each confirmed payment to the ledger with it as the transfer's
    ``external_ref``, which is what reconciliation matches on. ``provider_ref`` is the
    provider's own transaction number, kept as evidence.
    """

    provider: str
    attempt_ref: str
    provider_ref: str
    kind: Literal["payment", "refund"]
    amount_minor: int  # gross, always positive; ``kind`` says which way the money went
    fee_minor: int  # what the provider keeps for this line
    currency: str
    transacted_at: datetime  # when the citizen paid or the refund was made, provider's clock, aware
    settlement_date: date  # the business day on which the provider pays this line out


class PaymentState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the provider has never heard of it


class PaymentStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A provider's answer to "what became of this attempt?", verified."""

    attempt_ref: str
    state: PaymentState
    provider_ref: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    paid_at: datetime | None = None
    failure_code: str | None = None
