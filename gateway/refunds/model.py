"""Refunds: what we store, what an agency may ask for, and Stripe's Refund object."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

import msgspec

from gateway.listing import ListParams
from gateway.payments.model import AmountMinor, Attempt, Metadata, PaymentIntent


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class RefundReason(enum.StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


class Refund(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.refunds."""

    agency_code: str
    id: str
    livemode: bool
    intent_id: str
    attempt_ref: str
    amount_minor: int
    currency: str
    status: RefundStatus
    reason: RefundReason | None
    metadata: dict[str, str]
    automatic: bool
    provider_ref: str | None
    failure_reason: str | None
    requested_at: datetime | None
    created_at: datetime
    resolved_at: datetime | None
    idempotency_key: str | None = None


class RefundCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_intent: str
    amount: AmountMinor | None = None  # the rest of what was paid and not yet refunded
    reason: RefundReason | None = None
    metadata: Metadata | None = None


class RefundList(ListParams, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_intent: str | None = None


class RefundResource(msgspec.Struct, frozen=True, kw_only=True):
    """Stripe's Refund object (every top-level field of Stripe's fixture)."""

    id: str
    object: Literal["refund"] = "refund"
    amount: int
    balance_transaction: None = None
    charge: None = None
    created: int
    currency: str
    customer: None = None
    customer_account: None = None
    description: None = None
    destination_details: None = None
    failure_balance_transaction: None = None
    failure_reason: str | None
    instructions_email: None = None
    metadata: dict[str, str]
    next_action: None = None
    payment_intent: str
    payment_method: None = None
    pending_reason: str | None
    reason: str | None
    receipt_number: None = None
    source_transfer_reversal: None = None
    status: RefundStatus
    transfer_reversal: None = None
    # Ours: whether the portal started it itself (an attempt that paid an intent already paid).
    automatic: bool


def provider_refund_ref(refund_id: str) -> str:
    """The refund's reference at the provider, and in the ledger (reconciliation matches the
    settlement file's refund lines on it): letters and digits only, as VNPAY and MoMo take."""
    return refund_id.replace("_", "")


def as_resource(refund: Refund) -> RefundResource:
    waiting = refund.status == RefundStatus.PENDING
    return RefundResource(
        id=refund.id, amount=refund.amount_minor, created=int(refund.created_at.timestamp()),
        currency=refund.currency.lower(), failure_reason=refund.failure_reason, metadata=refund.metadata,
        payment_intent=refund.intent_id, pending_reason="processing" if waiting else None, reason=refund.reason,
        status=refund.status, automatic=refund.automatic,
    )


def refund_event_data(refund: Refund) -> dict[str, Any]:
    return {"object": msgspec.to_builtins(as_resource(refund))}


def charge_view(intent: PaymentIntent, attempt: Attempt, refunded_minor: int) -> dict[str, Any]:
    """The few fields of Stripe's Charge that a ``charge.refunded`` listener reads: we keep
    no Charge objects, the paying attempt stands for it."""
    return {"id": attempt.attempt_ref, "object": "charge", "payment_intent": intent.id,
            "amount": attempt.amount_minor, "amount_refunded": refunded_minor,
            "currency": attempt.currency.lower(), "refunded": refunded_minor == attempt.amount_minor,
            "livemode": intent.livemode}
