"""PaymentIntents: what we store, what an agency may ask for, and what the API shows."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

MAX_AMOUNT_MINOR = 99_999_999_999  # Stripe's limit is 8 digits for USD; VND needs eleven

AmountMinor = Annotated[int, Meta(ge=1, le=MAX_AMOUNT_MINOR)]
# ISO 4217, in lower case as Stripe writes it; PostgreSQL checks it against ledger.currencies.
Currency = Annotated[str, Meta(pattern="^[a-z]{3}$")]
ShortText = Annotated[str, Meta(max_length=1000)]
Metadata = dict[Annotated[str, Meta(max_length=40)], Annotated[str, Meta(max_length=500)] | None]
ServiceInputs = dict[Annotated[str, Meta(pattern="^[a-z][a-z0-9_]{0,39}$")], Annotated[str, Meta(max_length=200)]]


class Status(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class CancellationReason(enum.StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    ABANDONED = "abandoned"


class PaymentIntent(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.payment_intents."""

    agency_code: str
    id: str
    livemode: bool
    status: Status
    amount_minor: int
    currency: str  # upper case, as ledger.currencies
    client_secret: str
    description: str | None
    receipt_email: str | None
    payment_method_types: list[str]
    metadata: dict[str, str]
    # The portal's own fields: the catalogue's service code (validated, with its inputs,
    # against the catalogue), the dossier or decision number the payment is for, and who pays.
    service: str | None
    reference: str | None
    payer: str | None
    cancellation_reason: CancellationReason | None
    canceled_at: datetime | None
    created_at: datetime
    # The payer's inputs for ``service`` (field name → value), and the catalogue's quote for
    # them (catalogue.model.Quote as stored JSON), which fixes who receives the money.
    service_inputs: dict[str, str] = {}
    quote: dict[str, Any] | None = None
    # Set by confirmation: what the payer chose, what they must do next (Stripe's
    # next_action), why the last attempt failed, and the attempt that is current.
    payment_method: str | None = None
    next_action: dict[str, Any] | None = None
    last_payment_error: dict[str, Any] | None = None
    latest_attempt_ref: str | None = None


class AttemptStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class AttemptFlag(enum.StrEnum):
    """Why finance staff must look at an attempt."""

    AMOUNT_MISMATCH = "amount_mismatch"
    SECOND_SUCCESS = "second_success"  # another attempt had already paid the intent
    SUCCEEDED_AFTER_CANCEL = "succeeded_after_cancel"


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.payment_attempts: one try at one provider to pay an intent."""

    attempt_ref: str
    agency_code: str
    intent_id: str
    livemode: bool
    provider: str
    status: AttemptStatus
    amount_minor: int
    currency: str
    payment_method: str | None
    return_url: str | None
    provider_ref: str | None
    failure_code: str | None
    flag: AttemptFlag | None
    created_at: datetime
    resolved_at: datetime | None
    idempotency_key: str | None


# ---------------------------------------------------------------- requests

PaymentMethodTypes = list[Annotated[str, Meta(pattern="^[a-z_]{1,40}$")]]


class PaymentIntentCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    amount: AmountMinor
    currency: Currency
    description: ShortText | None = None
    receipt_email: ShortText | None = None
    # Stripe's default when automatic payment methods are off. Which methods exist (cards,
    # bank redirects, VietQR) will come from the provider adapters.
    payment_method_types: PaymentMethodTypes = msgspec.field(default_factory=lambda: ["card"])
    metadata: Metadata | None = None
    service: ShortText | None = None
    service_inputs: ServiceInputs | None = None
    reference: ShortText | None = None
    payer: ShortText | None = None


class PaymentIntentUpdate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Only what is given changes; None (an empty form value) clears a field."""

    amount: AmountMinor | UnsetType = UNSET
    currency: Currency | UnsetType = UNSET
    description: ShortText | None | UnsetType = UNSET
    receipt_email: ShortText | None | UnsetType = UNSET
    payment_method_types: PaymentMethodTypes | UnsetType = UNSET
    # Merged into the existing metadata; a key set to None is removed, and None for the
    # whole of it removes every key (Stripe's rules).
    metadata: Metadata | None | UnsetType = UNSET
    service: ShortText | None | UnsetType = UNSET
    service_inputs: ServiceInputs | None | UnsetType = UNSET
    reference: ShortText | None | UnsetType = UNSET
    payer: ShortText | None | UnsetType = UNSET


class PaymentMethodData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    type: Annotated[str, Meta(pattern="^[a-z_]{1,40}$")]


class PaymentIntentConfirm(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Stripe's confirm: a card PaymentMethod (``pm_card_visa`` in test mode) or a provider's
    payment method type (``payment_method_data[type]=vnpay``); ``return_url`` is where the
    payer's browser comes back after a redirect."""

    payment_method: Annotated[str, Meta(pattern="^pm_[A-Za-z0-9_]{1,100}$")] | None = None
    payment_method_data: PaymentMethodData | None = None
    payment_method_types: PaymentMethodTypes | None = None
    return_url: Annotated[str, Meta(pattern="^https?://", max_length=2000)] | None = None
    receipt_email: ShortText | None = None


class PaymentIntentCancel(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    cancellation_reason: CancellationReason | None = None


# ---------------------------------------------------------------- the API's view

class PaymentIntentResource(msgspec.Struct, frozen=True, kw_only=True):
    """Stripe's PaymentIntent object: every top-level field Stripe has, null where nothing of
    ours applies, so that clients written for Stripe find what they look for."""

    id: str
    object: Literal["payment_intent"] = "payment_intent"
    amount: int
    amount_capturable: int = 0
    amount_details: dict[str, Any] = {}
    amount_received: int = 0
    application: None = None
    application_fee_amount: None = None
    automatic_payment_methods: None = None
    canceled_at: int | None
    cancellation_reason: str | None
    capture_method: Literal["automatic"] = "automatic"
    client_secret: str
    confirmation_method: Literal["automatic"] = "automatic"
    created: int
    currency: str
    customer: None = None
    customer_account: None = None
    description: str | None
    excluded_payment_method_types: None = None
    last_payment_error: dict[str, Any] | None
    latest_charge: None = None
    livemode: bool
    managed_payments: None = None
    metadata: dict[str, str]
    next_action: dict[str, Any] | None
    on_behalf_of: None = None
    payment_method: str | None
    payment_method_configuration_details: None = None
    payment_method_options: dict[str, Any] = {}
    payment_method_types: list[str]
    processing: None = None
    receipt_email: str | None
    review: None = None
    setup_future_usage: None = None
    shipping: None = None
    source: None = None
    statement_descriptor: None = None
    statement_descriptor_suffix: None = None
    status: Status
    transfer_data: None = None
    transfer_group: None = None
    # The portal's fields (see PaymentIntent).
    service: str | None
    service_inputs: dict[str, str]
    reference: str | None
    payer: str | None
    latest_attempt: str | None  # the attempt_ref the provider knows this payment by


def as_resource(intent: PaymentIntent) -> PaymentIntentResource:
    return PaymentIntentResource(
        id=intent.id,
        amount=intent.amount_minor,
        amount_received=intent.amount_minor if intent.status == Status.SUCCEEDED else 0,
        canceled_at=int(intent.canceled_at.timestamp()) if intent.canceled_at else None,
        cancellation_reason=intent.cancellation_reason,
        client_secret=intent.client_secret,
        created=int(intent.created_at.timestamp()),
        currency=intent.currency.lower(),
        description=intent.description,
        livemode=intent.livemode,
        metadata=intent.metadata,
        payment_method_types=intent.payment_method_types,
        receipt_email=intent.receipt_email,
        status=intent.status,
        service=intent.service,
        service_inputs=intent.service_inputs,
        reference=intent.reference,
        payer=intent.payer,
        payment_method=intent.payment_method,
        next_action=intent.next_action,
        last_payment_error=intent.last_payment_error,
        latest_attempt=intent.latest_attempt_ref,
    )
