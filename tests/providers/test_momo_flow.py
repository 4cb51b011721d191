"""MoMo end to end over real HTTP: create → payUrl page → redirect and IPN (answered 204)
→ query, refunds (listed in the query's refundTrans), settlement file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import msgspec
import pytest
from conftest import (
    ADAPTER_TIMEOUT_S, FAST, World, business_today, callbacks_about, new_ref, payment_query, provider_world,
    refund_request,
)

from providers.errors import MalformedMessage, ProviderRejected, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.momo.adapter import MomoAdapter
from providers.momo.config import MomoConfig
from providers.momo.sandbox import create_sandbox_app
from providers.momo.signing import PaymentResult, sign_message
from providers.protocol import CallbackAnswer, InboundMessage, RefundRequest, RefundState, StartPayment

CONFIG = MomoConfig(timeout_s=ADAPTER_TIMEOUT_S)
AMOUNT = 150_000


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with provider_world(
            lambda url, client: MomoAdapter(msgspec.structs.replace(CONFIG, base_url=url), client),
            lambda merchant: create_sandbox_app(CONFIG, timing=FAST)) as built:
        yield built


def start(world: World, ref: str, amount_minor: int = AMOUNT) -> StartPayment:
    return StartPayment(attempt_ref=ref, amount_minor=amount_minor, currency="VND", description="Nop phat giao thong",
                        return_url="https://portal.example/momo/return", notify_url=world.callback_url,
                        created_at=datetime.now(UTC))


async def pay(world: World, scenario: str) -> tuple[str, int, dict[str, str]]:
    """Create, open payUrl, choose ``scenario``: the ref, the page's status, the redirect's query."""
    ref = new_ref()
    qr = await world.adapter.start_payment(start(world, ref))
    assert qr.payload.startswith("momo://") and qr.svg.startswith("<svg") and qr.deeplink
    page = await world.client.get(qr.url)
    assert page.status_code == 200 and 'value="decline"' in page.text
    answer = await world.client.post(f"{world.sandbox_url}/pay", data={"orderId": ref, "scenario": scenario})
    return ref, answer.status_code, dict(parse_qsl(urlsplit(answer.headers.get("location", "")).query))


@pytest.mark.parametrize(("scenario", "callbacks", "outcome", "amount_minor"), [
    ("success", 1, PaymentState.SUCCEEDED, AMOUNT),
    ("decline", 1, PaymentState.FAILED, AMOUNT),
    ("calls_back_five_times", 5, PaymentState.SUCCEEDED, AMOUNT),
    ("wrong_amount", 1, PaymentState.SUCCEEDED, AMOUNT + FAST.wrong_amount_delta_minor),
    ("late", 1, PaymentState.SUCCEEDED, AMOUNT),
])
async def test_outcomes_by_redirect_and_ipn(world: World, scenario: str, callbacks: int, outcome: PaymentState,
                                            amount_minor: int) -> None:
    ref, status, returned = await pay(world, scenario)
    assert status == 302
    redirect_event = world.adapter.parse_callback(InboundMessage(query=returned))
    if scenario == "late":
        await asyncio.sleep(FAST.late_s / 2)
        assert world.receiver.about(ref) == []
    events = await callbacks_about(world, ref, callbacks)
    assert len(events) == callbacks and {e.event_key for e in events} == {redirect_event.event_key}
    assert (redirect_event.attempt_ref, redirect_event.outcome, redirect_event.amount_minor) == (ref, outcome, amount_minor)
    assert redirect_event.failure_code == (None if outcome is PaymentState.SUCCEEDED else "1006")
    queried = await world.adapter.query_payment(payment_query(ref))
    assert (queried.state, queried.provider_ref) == (outcome, redirect_event.provider_ref)


@pytest.mark.parametrize("scenario", ["never_calls_back", "timeout"])
async def test_no_ipn_then_the_query_settles_it(world: World, scenario: str) -> None:
    ref, status, _ = await pay(world, scenario)
    assert status == (504 if scenario == "timeout" else 302)
    await asyncio.sleep(0.3)
    assert world.receiver.about(ref) == []
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.SUCCEEDED


async def test_ipn_retried_until_204(world: World) -> None:
    answers = iter([CallbackAnswer.UNKNOWN_ERROR])  # answered 500 once, then 204
    world.receiver.decide = lambda message: next(answers, CallbackAnswer.ACCEPTED)
    try:
        ref, _, _ = await pay(world, "success")
        await callbacks_about(world, ref, 2)
        await asyncio.sleep(0.4)
        assert len(world.receiver.about(ref)) == 2
    finally:
        world.receiver.decide = world.receiver.accept_if_verified


async def test_hostile_ipns_are_refused(world: World) -> None:
    ref, _, _ = await pay(world, "success")
    await callbacks_about(world, ref, 1)
    [ipn] = world.receiver.about(ref)
    body = msgspec.json.decode(ipn.body)
    parse = world.adapter.parse_callback

    def posted(fields: dict[str, object]) -> InboundMessage:
        return InboundMessage(body=msgspec.json.encode(fields))

    with pytest.raises(SignatureInvalid, match="no signature"):
        parse(posted({**body, "signature": ""}))
    with pytest.raises(SignatureInvalid):
        parse(posted({**body, "signature": "ab" * 32}))
    with pytest.raises(SignatureInvalid):
        parse(posted({**body, "amount": 1_000}))
    with pytest.raises(SignatureInvalid):  # a replay moved to another order
        parse(posted({**body, "orderId": "pi_someone_else"}))
    result = msgspec.convert(body, PaymentResult)
    other = sign_message(msgspec.structs.replace(result, partner_code="MOMOOTHER"), CONFIG.access_key, CONFIG.secret_key)
    with pytest.raises(UnknownMerchant):
        parse(InboundMessage(body=msgspec.json.encode(other)))
    with pytest.raises(MalformedMessage):
        parse(InboundMessage(body=b'{"orderId": 1'))
    assert parse(ipn) == parse(posted(body))  # an unaltered replay is the same event


def refund(ref: str, trans_id: str, amount_minor: int, refund_ref: str | None = None) -> RefundRequest:
    return refund_request(ref, trans_id, amount_minor, AMOUNT, refund_ref)


async def test_refunds_partial_and_full(world: World) -> None:
    ref, _, returned = await pay(world, "success")
    trans_id = returned["transId"]
    first = await world.adapter.refund(refund(ref, trans_id, 50_000))
    assert first.state is RefundState.SUCCEEDED
    queried = await world.adapter.query_refund(refund(ref, trans_id, 50_000, first.refund_ref))
    assert (queried.state, queried.amount_minor, queried.provider_ref) == (
        RefundState.SUCCEEDED, 50_000, first.provider_ref)
    again = await world.adapter.refund(refund(ref, trans_id, 50_000, first.refund_ref))
    assert again.state is RefundState.PENDING  # 41: MoMo has this refund order already
    too_much = await world.adapter.refund(refund(ref, trans_id, AMOUNT))
    assert (too_much.state, too_much.failure_code) == (RefundState.FAILED, "1080")
    assert (await world.adapter.refund(refund(ref, trans_id, 100_000))).state is RefundState.SUCCEEDED
    missing = await world.adapter.query_refund(refund(ref, trans_id, 1_000))
    assert (missing.state, missing.failure_code) == (RefundState.FAILED, "refund_not_found")


async def test_create_refusals_and_unknown_orders(world: World) -> None:
    ref = new_ref()
    await world.adapter.start_payment(start(world, ref))
    with pytest.raises(ProviderRejected) as duplicate:
        await world.adapter.start_payment(start(world, ref))
    assert duplicate.value.code == "41"
    with pytest.raises(ProviderRejected) as too_small:
        await world.adapter.start_payment(start(world, new_ref(), amount_minor=500))
    assert too_small.value.code == "20"
    assert (await world.adapter.query_payment(payment_query("pi_unknown"))).state is PaymentState.UNKNOWN
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.PENDING


async def test_an_order_left_unpaid_past_its_order_expire_time_has_expired() -> None:
    """The adapter sends orderExpireTime (minutes; a sandbox minute is 0.2 s here); MoMo
    then refuses the payment page and answers the query with resultCode 1005."""
    timing = msgspec.structs.replace(FAST, minute_s=0.2)
    async with provider_world(
            lambda url, client: MomoAdapter(msgspec.structs.replace(CONFIG, base_url=url, order_expire_minutes=1),
                                            client),
            lambda merchant: create_sandbox_app(CONFIG, timing=timing)) as world:
        ref = new_ref()
        qr = await world.adapter.start_payment(start(world, ref))
        assert (await world.client.get(qr.url)).status_code == 200  # the payer opened it, then left
        assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.PENDING
        await asyncio.sleep(timing.minute_s * 1.5)
        expired = await world.adapter.query_payment(payment_query(ref))
        assert (expired.state, expired.failure_code) == (PaymentState.FAILED, "expired")
        assert (await world.client.get(qr.url)).status_code == 400
        late = await world.client.post(f"{world.sandbox_url}/pay", data={"orderId": ref, "scenario": "success"})
        assert late.status_code == 400 and "1005" in late.text
        assert world.receiver.about(ref) == []


async def test_an_unknown_outcome_is_refused_and_the_order_can_still_be_paid(world: World) -> None:
    ref = new_ref()
    await world.adapter.start_payment(start(world, ref))
    refused = await world.client.post(f"{world.sandbox_url}/pay", data={"orderId": ref, "scenario": "SUCCESS!"})
    assert refused.status_code == 400 and "never_calls_back" in refused.text
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.PENDING
    paid = await world.client.post(f"{world.sandbox_url}/pay", data={"orderId": ref, "scenario": "success"})
    assert paid.status_code == 302


async def test_an_order_within_its_order_expire_time_can_be_paid(world: World) -> None:
    ref, status, _ = await pay(world, "never_calls_back")  # 15 minutes of MoMo's, real ones here
    assert status == 302
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.SUCCEEDED


async def test_settlement_file(world: World) -> None:
    ref, _, returned = await pay(world, "success")
    refunded = refund(ref, returned["transId"], 20_000)
    await world.adapter.refund(refunded)
    response = await world.client.get(f"{world.sandbox_url}/settlement/{business_today().isoformat()}")
    lines = {line.attempt_ref: line for line in world.adapter.parse_settlement(response.content)}
    assert (lines[ref].kind, lines[ref].amount_minor, lines[ref].fee_minor, lines[ref].provider_ref) == (
        "payment", AMOUNT, AMOUNT * 150 // 10_000, returned["transId"])
    assert (lines[refunded.refund_ref].kind, lines[refunded.refund_ref].amount_minor) == ("refund", 20_000)
    assert lines[ref].transacted_at == datetime.fromtimestamp(int(returned["responseTime"]) / 1000, UTC)


def test_ipn_replies() -> None:
    adapter = MomoAdapter(CONFIG, None)  # type: ignore[arg-type]  # replies need no client
    statuses = {answer: adapter.callback_reply(answer).status_code for answer in CallbackAnswer}
    assert statuses == {CallbackAnswer.ACCEPTED: 204, CallbackAnswer.ALREADY_CONFIRMED: 204,
                        CallbackAnswer.ORDER_NOT_FOUND: 204, CallbackAnswer.INVALID_AMOUNT: 204,
                        CallbackAnswer.INVALID_SIGNATURE: 400, CallbackAnswer.UNKNOWN_ERROR: 500}
    assert adapter.callback_reply(CallbackAnswer.ACCEPTED).body == b""
