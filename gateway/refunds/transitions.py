"""Refund rules as pure functions: what may be refunded, how a refund of a split payment is
shared between the agencies that received it, and what a provider's answer does."""

from __future__ import annotations

from datetime import datetime

import msgspec

from gateway.errors import InvalidParameter, UnexpectedState
from gateway.identifiers import new_id
from gateway.payments.model import Attempt, PaymentIntent, Status
from gateway.refunds.model import Refund, RefundCreate, RefundReason, RefundStatus
from providers.protocol import RefundResult, RefundState


def new_refund(intent: PaymentIntent, attempt: Attempt, params: RefundCreate, *, refunded_minor: int,
               now: datetime) -> Refund:
    """A refund of what the intent's paying attempt took and has not yet given back."""
    if intent.status != Status.SUCCEEDED:
        raise UnexpectedState(f"This PaymentIntent ({intent.id}) does not have a successful payment to refund.",
                              code="charge_not_refundable", param="payment_intent")
    remaining = attempt.amount_minor - refunded_minor
    if remaining <= 0:
        raise UnexpectedState(f"PaymentIntent {intent.id} has already been refunded.", code="charge_already_refunded",
                              param="payment_intent")
    amount = remaining if params.amount is None else params.amount
    if amount > remaining:
        raise InvalidParameter(f"Refund amount ({amount}) is greater than unrefunded amount on the payment"
                               f" ({remaining}).", code="amount_too_large", param="amount")
    # Asked at once by the request that creates it (the refund job follows it up later).
    return msgspec.structs.replace(
        _refund(attempt, amount, now=now, reason=params.reason, automatic=False,
                metadata={k: v for k, v in (params.metadata or {}).items() if v is not None}),
        requested_at=now)


def automatic_refund(attempt: Attempt, *, now: datetime) -> Refund:
    """All of a payment the intent did not need (it was paid already, or canceled); the
    refund job asks the provider."""
    return _refund(attempt, attempt.amount_minor, now=now, reason=RefundReason.DUPLICATE, automatic=True, metadata={})


def refund_shares(shares: list[tuple[str, int]], amount_minor: int) -> list[tuple[str, int]]:
    """``amount_minor`` split in proportion to ``shares`` (agency, amount), whole minor units,
    the remainder of the rounding to the largest share: the parts add up exactly."""
    total = sum(amount for _, amount in shares)
    assert 0 < amount_minor <= total, "a refund is at most what was paid"
    parts = [(agency, amount * amount_minor // total) for agency, amount in shares]
    largest = max(range(len(parts)), key=lambda i: shares[i][1])
    agency, part = parts[largest]
    parts[largest] = (agency, part + amount_minor - sum(p for _, p in parts))
    return parts


def apply_result(refund: Refund, result: RefundResult, *, now: datetime) -> Refund:
    """The refund after the provider's answer; unchanged while it is still pending there."""
    if refund.status != RefundStatus.PENDING or result.state == RefundState.PENDING:
        return msgspec.structs.replace(refund, provider_ref=result.provider_ref or refund.provider_ref)
    status = RefundStatus.SUCCEEDED if result.state == RefundState.SUCCEEDED else RefundStatus.FAILED
    return msgspec.structs.replace(refund, status=status, resolved_at=now,
                                   provider_ref=result.provider_ref or refund.provider_ref,
                                   failure_reason=None if status == RefundStatus.SUCCEEDED else
                                   (result.failure_code or "declined"))


def _refund(attempt: Attempt, amount_minor: int, *, now: datetime, reason: RefundReason | None, automatic: bool,
            metadata: dict[str, str]) -> Refund:
    return Refund(
        agency_code=attempt.agency_code, id=new_id("re"), livemode=attempt.livemode, intent_id=attempt.intent_id,
        attempt_ref=attempt.attempt_ref, amount_minor=amount_minor, currency=attempt.currency,
        status=RefundStatus.PENDING, reason=reason, metadata=metadata, automatic=automatic, provider_ref=None,
        failure_reason=None, requested_at=None, created_at=now, resolved_at=None,
    )
