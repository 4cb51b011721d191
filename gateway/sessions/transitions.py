"""What may happen to a Checkout Session, as pure functions over immutable values.

    open → complete (its PaymentIntent succeeded) | expired (by the agency, or its time is up)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from gateway.errors import InvalidParameter, UnexpectedState
from gateway.identifiers import new_id
from gateway.payments.model import MAX_AMOUNT_MINOR
from gateway.sessions.model import CheckoutSession, CheckoutSessionCreate, LineItem, PaymentStatus, Status

MODE = "payment"
# The hosted page, and the providers behind it, take đồng only.
CURRENCY = "vnd"
# Stripe's bounds for expires_at, counted from the session's creation.
MIN_LIFETIME = timedelta(minutes=30)
MAX_LIFETIME = timedelta(hours=24)
# A client that asks for exactly the minimum computes it from its own clock, a moment before
# the request arrives: that moment is forgiven.
CLOCK_GRACE = timedelta(seconds=60)
SESSION_ID_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"


def new_session_id(livemode: bool) -> str:
    return new_id("cs_live" if livemode else "cs_test")


def line_items_of(params: CheckoutSessionCreate) -> list[LineItem]:
    """The line items, after checking what Stripe checks: mode, one currency, a total that fits."""
    if params.mode != MODE:
        raise InvalidParameter(f"Only mode={MODE} is supported here; mode={params.mode} is not.", param="mode")
    for index, item in enumerate(params.line_items):
        if item.price_data.currency != CURRENCY:
            raise InvalidParameter(f"Checkout Sessions take {CURRENCY} only, not {item.price_data.currency}.",
                                   param=f"line_items[{index}][price_data][currency]")
    items = [LineItem(id=new_id("li"), price_id=new_id("price"), product_id=new_id("prod"),
                      name=item.price_data.product_data.name, unit_amount_minor=item.price_data.unit_amount,
                      quantity=item.quantity) for item in params.line_items]
    if sum(item.amount_minor for item in items) > MAX_AMOUNT_MINOR:
        raise InvalidParameter(f"The line items' total may be at most {MAX_AMOUNT_MINOR}.", param="line_items")
    return items


def expiry_of(params: CheckoutSessionCreate, now: datetime) -> datetime:
    if params.expires_at is None:
        return now + MAX_LIFETIME
    expires_at = datetime.fromtimestamp(params.expires_at, UTC)
    if expires_at < now + MIN_LIFETIME - CLOCK_GRACE:
        raise InvalidParameter("The `expires_at` timestamp must be at least 30 minutes from Checkout Session"
                               " creation.", param="expires_at")
    if expires_at > now + MAX_LIFETIME + CLOCK_GRACE:
        raise InvalidParameter("The `expires_at` timestamp must be less than 24 hours from Checkout Session"
                               " creation.", param="expires_at")
    return expires_at


def open_session(
    params: CheckoutSessionCreate, items: list[LineItem], *, session_id: str, agency_code: str, livemode: bool,
    intent_id: str, payment_method_types: list[str], url: str, now: datetime,
) -> CheckoutSession:
    return CheckoutSession(
        agency_code=agency_code, id=session_id, livemode=livemode, status=Status.OPEN,
        payment_status=PaymentStatus.UNPAID, payment_intent_id=intent_id,
        amount_total_minor=sum(item.amount_minor for item in items), currency=CURRENCY.upper(), line_items=items,
        url=url, success_url=params.success_url, cancel_url=params.cancel_url, expires_at=expiry_of(params, now),
        metadata={key: value for key, value in (params.metadata or {}).items() if value is not None},
        client_reference_id=params.client_reference_id, customer_email=params.customer_email,
        payment_method_types=payment_method_types, service=params.service,
        service_inputs=params.service_inputs or {}, reference=params.reference, payer=params.payer, created_at=now,
    )


def complete_session(session: CheckoutSession, now: datetime) -> CheckoutSession:
    assert session.status == Status.OPEN, "only an open session is completed by its payment"
    return msgspec.structs.replace(session, status=Status.COMPLETE, payment_status=PaymentStatus.PAID,
                                   completed_at=now)


def expire_session(session: CheckoutSession, now: datetime) -> CheckoutSession:
    if session.status != Status.OPEN:
        raise UnexpectedState(f"Only Checkout Sessions with a status in [\"open\"] can be expired; this one is"
                              f" {session.status}.", code="checkout_session_unexpected_state")
    return msgspec.structs.replace(session, status=Status.EXPIRED, expired_at=now)


def is_payable(session: CheckoutSession, now: datetime) -> bool:
    """Open and not past its time (the expiry job may not have been round yet)."""
    return session.status == Status.OPEN and now < session.expires_at


def success_destination(session: CheckoutSession) -> str:
    """Where the citizen goes once paid: Stripe puts the session's id in place of its placeholder."""
    return session.success_url.replace(SESSION_ID_PLACEHOLDER, session.id)
