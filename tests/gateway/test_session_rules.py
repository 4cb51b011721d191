"""Checkout Sessions' rules as pure functions: what a request may ask, when a session ends,
how its line items are paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import InvalidParameter, ResourceMissing, UnexpectedState
from gateway.listing import CreatedRange, ListParams, created_bounds
from gateway.payments.model import MAX_AMOUNT_MINOR
from gateway.sessions.model import CheckoutSessionCreate, LineItemParams, PriceData, ProductData, Status
from gateway.sessions.paging import page_of_line_items
from gateway.sessions.transitions import (
    CLOCK_GRACE,
    MAX_LIFETIME,
    MIN_LIFETIME,
    complete_session,
    expire_session,
    expiry_of,
    is_payable,
    line_items_of,
    open_session,
    success_destination,
)
from tests.strategies import session_requests

NOW = datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC)
FEES = CheckoutSessionCreate(mode="payment", success_url="https://agency.example/paid", line_items=[
    LineItemParams(price_data=PriceData(currency="vnd", unit_amount=amount, product_data=ProductData(name=name)),
                   quantity=1) for name, amount in (("Lệ phí", 50_000), ("Phí gửi", 20_000))])


def opened(params):
    return open_session(params, line_items_of(params), session_id="cs_test_x", agency_code="BTP", livemode=False,
                        intent_id="pi_x", payment_method_types=["vnpay"], url="http://pay/x", now=NOW)


@given(session_requests(currencies=("vnd", "usd"), max_unit_minor=MAX_AMOUNT_MINOR, max_quantity=999_999))
def test_line_items_are_taken_in_order_or_refused_by_name(params):
    total = sum(item.price_data.unit_amount * item.quantity for item in params.line_items)
    foreign = [i for i, item in enumerate(params.line_items) if item.price_data.currency != "vnd"]
    try:
        items = line_items_of(params)
    except InvalidParameter as refused:
        expected = f"line_items[{foreign[0]}][price_data][currency]" if foreign else "line_items"
        assert refused.param == expected
        assert foreign or total > MAX_AMOUNT_MINOR
        return
    assert not foreign and total <= MAX_AMOUNT_MINOR
    assert [(i.name, i.unit_amount_minor, i.quantity) for i in items] == [
        (p.price_data.product_data.name, p.price_data.unit_amount, p.quantity) for p in params.line_items]
    assert len({i.id for i in items}) == len(items)


@given(session_requests(), st.integers(-2 * 24 * 3600, 2 * 24 * 3600))
def test_a_session_ends_30_minutes_to_24_hours_after_it_opens(params, offset_s):
    asked = msgspec.structs.replace(params, expires_at=int((NOW + timedelta(seconds=offset_s)).timestamp()))
    lowest, highest = NOW + MIN_LIFETIME - CLOCK_GRACE, NOW + MAX_LIFETIME + CLOCK_GRACE
    try:
        ends = expiry_of(asked, NOW)
    except InvalidParameter as refused:
        assert refused.param == "expires_at"
        assert not lowest <= NOW + timedelta(seconds=offset_s) <= highest
        return
    assert lowest <= ends <= highest
    assert expiry_of(params, NOW) == NOW + MAX_LIFETIME  # unasked: 24 hours


def test_only_mode_payment():
    params = msgspec.structs.replace(FEES, mode="subscription")
    with pytest.raises(InvalidParameter) as refused:
        line_items_of(params)
    assert refused.value.param == "mode"


@given(session_requests())
def test_open_then_complete_or_expired_never_both(params):
    session = opened(params)
    assert session.status == Status.OPEN and session.amount_total_minor == sum(
        i.amount_minor for i in session.line_items)
    assert is_payable(session, NOW) and not is_payable(session, session.expires_at)
    complete = complete_session(session, NOW)
    assert (complete.status, complete.payment_status) == ("complete", "paid")
    with pytest.raises(UnexpectedState):
        expire_session(complete, NOW)
    expired = expire_session(session, NOW)
    assert (expired.status, expired.payment_status) == ("expired", "unpaid")
    with pytest.raises(UnexpectedState):
        expire_session(expired, NOW)
    assert success_destination(session) == "https://agency.example/paid?cs=cs_test_x"


@given(session_requests(), st.integers(1, 100))
def test_paging_forwards_and_backwards_gives_every_item_once_in_order(params, limit):
    items = line_items_of(params)
    forwards, after = [], None
    while True:
        page = page_of_line_items(items, ListParams(limit=limit, starting_after=after))
        forwards += page.items
        if not page.has_more:
            break
        after = page.items[-1].id
    assert forwards == items
    backwards, before = [], items[-1].id
    while True:
        page = page_of_line_items(items, ListParams(limit=limit, ending_before=before))
        backwards = page.items + backwards
        if not page.has_more:
            break
        before = page.items[0].id
    assert backwards == items[:-1]


def test_paging_refuses_an_unknown_cursor_and_both_cursors():
    items = line_items_of(FEES)
    with pytest.raises(ResourceMissing):
        page_of_line_items(items, ListParams(starting_after="li_nobody"))
    with pytest.raises(InvalidParameter):
        page_of_line_items(items, ListParams(starting_after=items[0].id, ending_before=items[0].id))


@given(st.integers(0, 2**32), st.integers(0, 2**32))
def test_a_created_range_is_the_seconds_it_names(a, b):
    low, high = sorted((a, b))
    start, end = created_bounds(CreatedRange(gte=low, lte=high))
    assert (start.timestamp(), end.timestamp()) == (low, high + 1)
    assert created_bounds(CreatedRange(gt=low, lt=high)) == (datetime.fromtimestamp(low + 1, UTC),
                                                            datetime.fromtimestamp(high, UTC))
    assert created_bounds(low) == created_bounds(CreatedRange(gte=low, lte=low))
    assert created_bounds(CreatedRange(gte=low, gt=high)) == (datetime.fromtimestamp(max(low, high + 1), UTC), None)
