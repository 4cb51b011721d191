"""What may happen to a PaymentIntent, as pure functions over immutable values.

    requires_payment_method → requires_confirmation → requires_action → processing
                                                                      → succeeded | canceled
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from msgspec import UNSET

from gateway.errors import UnexpectedState
from gateway.identifiers import new_id, random_base62
from gateway.payments.model import (
    Attempt,
    AttemptStatus,
    CancellationReason,
    PaymentIntent,
    PaymentIntentCreate,
    PaymentIntentUpdate,
    Status,
)

# Once the citizen's money is moving, the amount and what it pays for are fixed.
UPDATABLE = frozenset({Status.REQUIRES_PAYMENT_METHOD, Status.REQUIRES_CONFIRMATION, Status.REQUIRES_ACTION})
CANCELABLE = UPDATABLE | {Status.REQUIRES_CAPTURE}
CONFIRMABLE = UPDATABLE

# Fields an update sets as given (metadata is merged instead).
REPLACED_FIELDS = ("description", "receipt_email", "payment_method_types", "service", "reference", "payer")


def create_intent(params: PaymentIntentCreate, *, agency_code: str, livemode: bool, now: datetime) -> PaymentIntent:
    intent_id = new_id("pi")
    return PaymentIntent(
        agency_code=agency_code,
        id=intent_id,
        livemode=livemode,
        status=Status.REQUIRES_PAYMENT_METHOD,
        amount_minor=params.amount,
        currency=params.currency.upper(),
        client_secret=f"{intent_id}_secret_{random_base62(24)}",
        description=params.description,
        receipt_email=params.receipt_email,
        payment_method_types=list(params.payment_method_types),
        metadata={key: value for key, value in (params.metadata or {}).items() if value is not None},
        service=params.service,
        service_inputs=params.service_inputs or {},
        reference=params.reference,
        payer=params.payer,
        cancellation_reason=None,
        canceled_at=None,
        created_at=now,
    )


def update_intent(intent: PaymentIntent, params: PaymentIntentUpdate) -> PaymentIntent:
    _require_status(intent, UPDATABLE, "update")
    changes = {name: getattr(params, name) for name in REPLACED_FIELDS if getattr(params, name) is not UNSET}
    if params.amount is not UNSET:
        changes["amount_minor"] = params.amount
    if params.currency is not UNSET:
        changes["currency"] = params.currency.upper()
    if params.service_inputs is not UNSET:
        changes["service_inputs"] = params.service_inputs or {}
    if params.metadata is not UNSET:
        changes["metadata"] = _merge_metadata(intent.metadata, params.metadata)
    return msgspec.structs.replace(intent, **changes)


def cancel_intent(intent: PaymentIntent, reason: CancellationReason | None, *, now: datetime) -> PaymentIntent:
    _require_status(intent, CANCELABLE, "cancel")
    return msgspec.structs.replace(intent, status=Status.CANCELED, cancellation_reason=reason, canceled_at=now)


def begin_attempt(
    intent: PaymentIntent, *, provider: str, attempt_ref: str, payment_method: str | None, return_url: str | None,
    idempotency_key: str | None, now: datetime,
) -> tuple[PaymentIntent, Attempt]:
    """The intent is ``processing`` while we ask the provider; the previous attempt, if any,
    stays as it is (a citizen may abandon one provider for another, and the first may
    still succeed: see gateway.payments.outcomes)."""
    _require_status(intent, CONFIRMABLE, "confirm")
    attempt = Attempt(
        attempt_ref=attempt_ref, agency_code=intent.agency_code, intent_id=intent.id, livemode=intent.livemode,
        provider=provider, status=AttemptStatus.PENDING, amount_minor=intent.amount_minor, currency=intent.currency,
        payment_method=payment_method, return_url=return_url, provider_ref=None, failure_code=None, flag=None,
        created_at=now, resolved_at=None, idempotency_key=idempotency_key,
    )
    started = msgspec.structs.replace(intent, status=Status.PROCESSING, payment_method=payment_method,
                                      latest_attempt_ref=attempt_ref, next_action=None, last_payment_error=None)
    return started, attempt


def await_payer(intent: PaymentIntent, next_action: dict) -> PaymentIntent:
    """The provider needs the payer (a redirect, a QR to scan): Stripe's ``requires_action``."""
    return msgspec.structs.replace(intent, status=Status.REQUIRES_ACTION, next_action=next_action)


def _merge_metadata(current: dict[str, str], given: dict[str, str | None] | None) -> dict[str, str]:
    if given is None:
        return {}
    merged = current | given
    return {key: value for key, value in merged.items() if value is not None}


def _require_status(intent: PaymentIntent, allowed: frozenset[Status], action: str) -> None:
    if intent.status not in allowed:
        raise UnexpectedState(
            f"You cannot {action} this PaymentIntent because it has a status of {intent.status}.",
            code="payment_intent_unexpected_state",
        )
