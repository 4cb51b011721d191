"""Checkout Sessions: what we store, what an agency may ask for, and what the API shows."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from gateway.listing import Created, ListParams
from gateway.payments.model import (
    AmountMinor,
    Currency,
    Metadata,
    PaymentIntentResource,
    PaymentMethodTypes,
    ServiceInputs,
    ShortText,
)

MAX_LINE_ITEMS = 100
Url = Annotated[str, Meta(pattern="^https?://[^\\s]+$", max_length=5000)]


class Status(enum.StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


class PaymentStatus(enum.StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"


class LineItem(msgspec.Struct, frozen=True, kw_only=True):
    """One thing to pay for. Stripe makes a Price and a Product of each ``price_data``; their
    ids are kept so that the line item reads the same every time."""

    id: str
    price_id: str
    product_id: str
    name: str
    unit_amount_minor: int
    quantity: int

    @property
    def amount_minor(self) -> int:
        return self.unit_amount_minor * self.quantity


class CheckoutSession(msgspec.Struct, frozen=True, kw_only=True):
    """One row of gateway.checkout_sessions."""

    agency_code: str
    id: str
    livemode: bool
    status: Status
    payment_status: PaymentStatus
    payment_intent_id: str
    amount_total_minor: int
    currency: str  # upper case, as ledger.currencies
    line_items: list[LineItem]
    url: str
    success_url: str
    cancel_url: str | None
    expires_at: datetime
    metadata: dict[str, str]
    client_reference_id: str | None
    customer_email: str | None
    payment_method_types: list[str]  # its intent's: what the page offers
    service: str | None
    service_inputs: dict[str, str]
    reference: str | None
    payer: str | None
    created_at: datetime
    completed_at: datetime | None = None
    expired_at: datetime | None = None


# ---------------------------------------------------------------- requests

class ProductData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=250)]


class PriceData(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    currency: Currency
    unit_amount: AmountMinor
    product_data: ProductData


class LineItemParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # There is no Prices API here: every line item brings its price_data.
    price_data: PriceData
    quantity: Annotated[int, Meta(ge=1, le=999_999)]


class CheckoutSessionCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mode: str  # Stripe's payment | setup | subscription; we take payment only (transitions)
    line_items: Annotated[list[LineItemParams], Meta(min_length=1, max_length=MAX_LINE_ITEMS)]
    success_url: Url
    cancel_url: Url | None = None
    expires_at: int | None = None  # a Unix time, 30 minutes to 24 hours from now
    metadata: Metadata | None = None
    client_reference_id: Annotated[str, Meta(max_length=200)] | None = None
    customer_email: ShortText | None = None
    payment_method_types: PaymentMethodTypes | None = None
    # The portal's fields, validated as a PaymentIntent's are.
    service: ShortText | None = None
    service_inputs: ServiceInputs | None = None
    reference: ShortText | None = None
    payer: ShortText | None = None


class CheckoutSessionList(ListParams, frozen=True, kw_only=True, forbid_unknown_fields=True):
    payment_intent: str | None = None
    status: Status | None = None
    created: Created | None = None


# ---------------------------------------------------------------- the API's view

class CheckoutSessionResource(msgspec.Struct, frozen=True, kw_only=True):
    """Stripe's Checkout Session object: every top-level field Stripe has, null (or empty)
    where nothing of ours applies, plus the portal's fields. ``line_items`` is there only
    when expanded, and ``payment_intent`` whole only when expanded (``expand[]``)."""

    id: str
    object: Literal["checkout.session"] = "checkout.session"
    adaptive_pricing: None = None
    after_expiration: None = None
    allow_promotion_codes: None = None
    amount_subtotal: int
    amount_total: int
    automatic_tax: dict[str, Any] = msgspec.field(default_factory=lambda: {
        "enabled": False, "liability": None, "provider": None, "status": None})
    billing_address_collection: None = None
    cancel_url: str | None
    client_reference_id: str | None
    client_secret: None = None
    collected_information: None = None
    consent: None = None
    consent_collection: None = None
    created: int
    currency: str
    currency_conversion: None = None
    custom_fields: list[Any] = []
    custom_text: dict[str, Any] = msgspec.field(default_factory=lambda: {
        "after_submit": None, "shipping_address": None, "submit": None, "terms_of_service_acceptance": None})
    customer: None = None
    customer_account: None = None
    customer_creation: None = None
    customer_details: dict[str, Any] | None
    customer_email: str | None
    discounts: list[Any] = []
    expires_at: int
    integration_identifier: None = None
    invoice: None = None
    invoice_creation: None = None
    livemode: bool
    locale: None = None
    managed_payments: None = None
    metadata: dict[str, str]
    mode: Literal["payment"] = "payment"
    origin_context: None = None
    payment_intent: str | PaymentIntentResource
    payment_link: None = None
    payment_method_collection: None = None
    payment_method_configuration_details: None = None
    payment_method_options: dict[str, Any] = {}
    payment_method_types: list[str]
    payment_status: PaymentStatus
    permissions: None = None
    phone_number_collection: dict[str, Any] = msgspec.field(default_factory=lambda: {"enabled": False})
    recovered_from: None = None
    saved_payment_method_options: None = None
    setup_intent: None = None
    shipping_address_collection: None = None
    shipping_cost: None = None
    shipping_options: list[Any] = []
    status: Status
    submit_type: None = None
    subscription: None = None
    success_url: str
    total_details: dict[str, int] = msgspec.field(default_factory=lambda: {
        "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0})
    ui_mode: Literal["hosted"] = "hosted"
    url: str | None
    wallet_options: None = None
    line_items: LineItemList | UnsetType = UNSET
    # The portal's fields (see CheckoutSessionCreate).
    service: str | None
    service_inputs: dict[str, str]
    reference: str | None
    payer: str | None


class PriceResource(msgspec.Struct, frozen=True, kw_only=True):
    """The one-time Price Stripe makes of a line item's price_data."""

    id: str
    object: Literal["price"] = "price"
    active: bool = False
    billing_scheme: Literal["per_unit"] = "per_unit"
    created: int
    currency: str
    custom_unit_amount: None = None
    livemode: bool
    lookup_key: None = None
    metadata: dict[str, str] = {}
    nickname: None = None
    product: str
    recurring: None = None
    tax_behavior: Literal["unspecified"] = "unspecified"
    tiers_mode: None = None
    transform_quantity: None = None
    type: Literal["one_time"] = "one_time"
    unit_amount: int
    unit_amount_decimal: str


class LineItemResource(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    object: Literal["item"] = "item"
    adjustable_quantity: None = None
    amount_discount: int = 0
    amount_subtotal: int
    amount_tax: int = 0
    amount_total: int
    currency: str
    description: str
    metadata: None = None
    price: PriceResource
    quantity: int


class LineItemList(msgspec.Struct, frozen=True, kw_only=True):
    """A session's line items as Stripe embeds them when ``line_items`` is expanded: the
    first page of ``GET /v1/checkout/sessions/{id}/line_items``, which ``url`` names."""

    object: Literal["list"] = "list"
    data: list[LineItemResource]
    has_more: bool
    url: str


def as_resource(session: CheckoutSession) -> CheckoutSessionResource:
    return CheckoutSessionResource(
        id=session.id,
        amount_subtotal=session.amount_total_minor,
        amount_total=session.amount_total_minor,
        cancel_url=session.cancel_url,
        client_reference_id=session.client_reference_id,
        created=int(session.created_at.timestamp()),
        currency=session.currency.lower(),
        customer_details={"email": session.customer_email} if session.status == Status.COMPLETE else None,
        customer_email=session.customer_email,
        expires_at=int(session.expires_at.timestamp()),
        livemode=session.livemode,
        metadata=session.metadata,
        payment_intent=session.payment_intent_id,
        payment_method_types=session.payment_method_types,
        payment_status=session.payment_status,
        status=session.status,
        success_url=session.success_url,
        # As Stripe's: the page's address only while it can still be paid there.
        url=session.url if session.status == Status.OPEN else None,
        service=session.service,
        service_inputs=session.service_inputs,
        reference=session.reference,
        payer=session.payer,
    )


def line_item_resource(session: CheckoutSession, item: LineItem) -> LineItemResource:
    currency = session.currency.lower()
    return LineItemResource(
        id=item.id, amount_subtotal=item.amount_minor, amount_total=item.amount_minor, currency=currency,
        description=item.name, quantity=item.quantity,
        price=PriceResource(id=item.price_id, created=int(session.created_at.timestamp()), currency=currency,
                            livemode=session.livemode, product=item.product_id, unit_amount=item.unit_amount_minor,
                            unit_amount_decimal=str(item.unit_amount_minor)),
    )

