"""The Stripe objects the adapter reads and the sandbox writes, reduced to the fields we
use. Unknown fields are ignored: Stripe adds fields without a new API version."""

from __future__ import annotations

from typing import Any

import msgspec


class PaymentIntent(msgspec.Struct, kw_only=True):
    id: str
    object: str = "payment_intent"
    amount: int
    amount_received: int = 0
    currency: str  # lowercase, as Stripe writes it
    status: str  # succeeded | processing | requires_action | requires_payment_method | canceled
    created: int
    description: str | None = None
    payment_method: str | None = None
    latest_charge: str | None = None
    metadata: dict[str, str] = {}
    last_payment_error: dict[str, Any] | None = None


class Refund(msgspec.Struct, kw_only=True):
    id: str
    object: str = "refund"
    amount: int
    currency: str
    payment_intent: str
    status: str  # pending | succeeded | failed | canceled
    created: int
    metadata: dict[str, str] = {}
    failure_reason: str | None = None


class EventData(msgspec.Struct, kw_only=True):
    object: PaymentIntent


class Event(msgspec.Struct, kw_only=True):
    id: str
    object: str = "event"
    type: str
    created: int
    livemode: bool = False
    account: str | None = None
    api_version: str = "2024-06-20"
    data: EventData


class StripeError(msgspec.Struct, kw_only=True):
    type: str
    message: str = ""
    code: str | None = None
    decline_code: str | None = None
    param: str | None = None
    payment_intent: PaymentIntent | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    error: StripeError


class PaymentIntentList(msgspec.Struct, kw_only=True):
    object: str
    data: list[PaymentIntent]
    has_more: bool = False


class RefundList(msgspec.Struct, kw_only=True):
    object: str = "list"
    data: list[Refund]
    has_more: bool = False
