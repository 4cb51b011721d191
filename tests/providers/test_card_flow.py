"""Card payments end to end over real HTTP against the Stripe-speaking sandbox: Stripe's
test PaymentMethods, queued scenarios, Stripe-signed webhooks, refunds, settlement."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec
import pytest
from conftest import (
    ADAPTER_TIMEOUT_S, FAST, World, business_today, callbacks_about, new_ref, payment_query, provider_world,
    refund_request,
)

from providers.card.adapter import CardAdapter
from providers.card.config import CardConfig
from providers.card.sandbox import create_sandbox_app
from providers.card.webhook import signature_header
from providers.errors import MalformedMessage, ProviderRejected, ProviderUnavailable, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.protocol import CallbackAnswer, CardResult, InboundMessage, RefundState, StartPayment

CONFIG = CardConfig(timeout_s=ADAPTER_TIMEOUT_S)
AMOUNT = 300_000


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with provider_world(
            lambda url, client: CardAdapter(msgspec.structs.replace(CONFIG, base_url=url), client),
            lambda merchant: create_sandbox_app(CONFIG, webhook_url=merchant, timing=FAST)) as built:
        yield built


async def charge(world: World, method: str = "pm_card_visa", scenario: str | None = None) -> tuple[str, CardResult]:
    if scenario:
        await world.client.post(f"{world.sandbox_url}/_sandbox/scenario", data={"scenario": scenario})
    ref = new_ref()
    result = await world.adapter.start_payment(StartPayment(
        attempt_ref=ref, amount_minor=AMOUNT, currency="VND", description="Le phi", return_url="https://portal.example/r",
        notify_url="unused", created_at=datetime.now(UTC), payment_method=method))
    return ref, result


@pytest.mark.parametrize(("method", "failure_code", "decline_code"), [
    ("pm_card_visa", None, None),
    ("pm_card_mastercard", None, None),
    ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
])
async def test_stripe_test_payment_methods(world: World, method: str, failure_code: str | None,
                                           decline_code: str | None) -> None:
    ref, result = await charge(world, method)
    succeeded = failure_code is None
    assert (result.failure_code, result.decline_code) == (failure_code, decline_code)
    assert (result.amount_minor, result.currency) == ((AMOUNT, "VND") if succeeded else (None, None))
    assert result.state is (PaymentState.SUCCEEDED if succeeded else PaymentState.FAILED)
    [event] = await callbacks_about(world, ref, 1)
    assert (event.attempt_ref, event.provider_ref, event.amount_minor, event.currency) == (
        ref, result.provider_ref, AMOUNT, "VND")
    assert event.outcome is result.state and event.failure_code == decline_code
    queried = await world.adapter.query_payment(payment_query(ref))  # found by metadata, no provider_ref
    assert (queried.state, queried.provider_ref) == (result.state, result.provider_ref)


async def test_timeout_leaves_the_payment_to_the_status_query(world: World) -> None:
    await world.client.post(f"{world.sandbox_url}/_sandbox/scenario", data={"scenario": "timeout"})
    ref = new_ref()
    with pytest.raises(ProviderUnavailable, match="no answer"):
        await world.adapter.start_payment(StartPayment(
            attempt_ref=ref, amount_minor=AMOUNT, currency="VND", description="x", return_url="https://p.example",
            notify_url="unused", created_at=datetime.now(UTC), payment_method="pm_card_visa"))
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.SUCCEEDED
    assert world.receiver.about(ref) == []


@pytest.mark.parametrize(("scenario", "callbacks", "amount_minor"), [
    ("never_calls_back", 0, None), ("calls_back_five_times", 5, AMOUNT),
    ("wrong_amount", 1, AMOUNT + FAST.wrong_amount_delta_minor), ("late", 1, AMOUNT),
])
async def test_queued_scenarios(world: World, scenario: str, callbacks: int, amount_minor: int | None) -> None:
    ref, result = await charge(world, scenario=scenario)
    assert result.state is PaymentState.SUCCEEDED
    if scenario == "late":
        await asyncio.sleep(FAST.late_s / 2)
        assert world.receiver.about(ref) == []
    events = await callbacks_about(world, ref, callbacks)
    await asyncio.sleep(0.1)
    assert len(world.receiver.about(ref)) == callbacks
    assert {e.event_key for e in events} == ({events[0].event_key} if events else set())
    assert {e.amount_minor for e in events} == ({amount_minor} if events else set())


async def test_the_synchronous_answer_says_what_the_acquirer_took(world: World) -> None:
    """A wrong amount shows in the answer to the payment itself, not only in the webhook."""
    _, result = await charge(world, scenario="wrong_amount")
    assert (result.state, result.amount_minor) == (PaymentState.SUCCEEDED, AMOUNT + FAST.wrong_amount_delta_minor)


async def test_an_unknown_scenario_is_refused_in_stripes_error_shape(world: World) -> None:
    for scenario in ("hang_forever", ""):
        refused = await world.client.post(f"{world.sandbox_url}/_sandbox/scenario", data={"scenario": scenario})
        assert refused.status_code == 400
        assert refused.json()["error"] | {"message": ""} == {
            "type": "invalid_request_error", "code": "parameter_invalid", "param": "scenario", "message": "",
            "decline_code": None, "payment_intent": None}
        assert "calls_back_five_times" in refused.json()["error"]["message"]
    _, result = await charge(world)  # nothing was queued
    assert result.state is PaymentState.SUCCEEDED and result.amount_minor == AMOUNT


async def test_hostile_webhooks(world: World) -> None:
    ref, _ = await charge(world)
    [message] = [m for m in await callbacks_about(world, ref, 1) and world.receiver.about(ref)]
    parse = world.adapter.parse_callback
    header = message.headers["stripe-signature"]

    def signed(body: bytes, at: int | None = None) -> InboundMessage:
        return InboundMessage(body=body, headers={
            "stripe-signature": signature_header(body, CONFIG.webhook_secret, at or int(time.time()))})

    with pytest.raises(SignatureInvalid, match="no Stripe-Signature"):
        parse(InboundMessage(body=message.body))
    with pytest.raises(SignatureInvalid, match="no v1 signature matches"):
        parse(InboundMessage(body=message.body, headers={"stripe-signature": header[:-4] + "0000"}))
    altered = message.body.replace(f'"amount_received":{AMOUNT}'.encode(), b'"amount_received":1000')
    assert altered != message.body
    with pytest.raises(SignatureInvalid):
        parse(InboundMessage(body=altered, headers=message.headers))
    with pytest.raises(SignatureInvalid, match="tolerance"):  # a replay of an old, valid delivery
        parse(signed(message.body, at=int(time.time()) - 3600))
    with pytest.raises(UnknownMerchant):
        parse(signed(message.body.replace(CONFIG.account_id.encode(), b"acct_other")))
    with pytest.raises(MalformedMessage, match="charge.refunded"):
        parse(signed(message.body.replace(b'"payment_intent.succeeded"', b'"charge.refunded"')))
    assert parse(message) == parse(signed(message.body))  # same event, however re-signed


async def test_refunds_partial_full_and_refused(world: World) -> None:
    ref, result = await charge(world)
    pi = result.provider_ref
    partial = await world.adapter.refund(refund_request(ref, pi, 100_000, AMOUNT))
    assert (partial.state, partial.amount_minor) == (RefundState.SUCCEEDED, 100_000)
    replayed = await world.adapter.refund(refund_request(ref, pi, 100_000, AMOUNT, partial.refund_ref))
    assert replayed.provider_ref == partial.provider_ref  # the Idempotency-Key: one refund
    too_much = await world.adapter.refund(refund_request(ref, pi, AMOUNT, AMOUNT))
    assert (too_much.state, too_much.failure_code) == (RefundState.FAILED, "amount_too_large")
    rest = await world.adapter.refund(refund_request(ref, pi, 200_000, AMOUNT))
    assert rest.state is RefundState.SUCCEEDED
    queried = await world.adapter.query_refund(refund_request(ref, pi, 200_000, AMOUNT, rest.refund_ref))
    assert (queried.state, queried.provider_ref) == (RefundState.SUCCEEDED, rest.provider_ref)
    done = await world.adapter.refund(refund_request(ref, pi, 1_000, AMOUNT))
    assert done.failure_code == "charge_already_refunded"
    absent = await world.adapter.query_refund(refund_request(ref, pi, 1_000, AMOUNT))
    assert absent.failure_code == "refund_not_found"


async def test_api_key_and_unknown_intents(world: World) -> None:
    intruder = CardAdapter(msgspec.structs.replace(CONFIG, base_url=world.sandbox_url, secret_key="sk_test_wrong"),
                           world.client)
    with pytest.raises(ProviderRejected, match="Invalid API Key"):
        await intruder.query_payment(payment_query("pi_x"))
    with pytest.raises(ProviderRejected, match="resource_missing"):
        await world.adapter.query_payment(msgspec.structs.replace(payment_query("x"), provider_ref="pi_missing"))
    assert (await world.adapter.query_payment(payment_query("pi_never"))).state is PaymentState.UNKNOWN


async def test_settlement_file(world: World) -> None:
    ref, result = await charge(world)
    refund = refund_request(ref, result.provider_ref, 50_000, AMOUNT)
    await world.adapter.refund(refund)
    response = await world.client.get(f"{world.sandbox_url}/settlement/{business_today().isoformat()}")
    lines = {line.attempt_ref: line for line in world.adapter.parse_settlement(response.content)}
    assert (lines[ref].kind, lines[ref].amount_minor, lines[ref].fee_minor, lines[ref].provider_ref) == (
        "payment", AMOUNT, AMOUNT * 290 // 10_000, result.provider_ref)
    assert (lines[refund.refund_ref].kind, lines[refund.refund_ref].amount_minor) == ("refund", 50_000)


def test_webhook_replies() -> None:
    adapter = CardAdapter(CONFIG, None)  # type: ignore[arg-type]  # replies need no client
    assert {a: adapter.callback_reply(a).status_code for a in CallbackAnswer} == {
        CallbackAnswer.ACCEPTED: 200, CallbackAnswer.ALREADY_CONFIRMED: 200, CallbackAnswer.ORDER_NOT_FOUND: 200,
        CallbackAnswer.INVALID_AMOUNT: 200, CallbackAnswer.INVALID_SIGNATURE: 400, CallbackAnswer.UNKNOWN_ERROR: 500}
