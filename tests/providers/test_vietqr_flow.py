"""VietQR end to end over real HTTP: QR for a reference → the sandbox bank's transfer
page (outcomes, mangled descriptions) → signed credit notification → account search,
returns, statement export."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec
import pytest
from conftest import (
    ADAPTER_TIMEOUT_S, FAST, World, business_today, callbacks_about, payment_query, provider_world, refund_request,
)

from providers.errors import MalformedMessage, ProviderRejected, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.protocol import CallbackAnswer, InboundMessage, QrCode, RefundState, StartPayment
from providers.vietqr.adapter import VietqrAdapter
from providers.vietqr.config import VietqrConfig
from providers.vietqr.emvco import decode_vietqr
from providers.vietqr.notification import sign_body
from providers.vietqr.sandbox import create_sandbox_app

CONFIG = VietqrConfig(timeout_s=ADAPTER_TIMEOUT_S)
AMOUNT = 250_000


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with provider_world(
            lambda url, client: VietqrAdapter(msgspec.structs.replace(CONFIG, base_url=url), client),
            lambda merchant: create_sandbox_app(CONFIG, webhook_url=merchant, timing=FAST)) as built:
        yield built


async def show_qr(world: World) -> tuple[str, QrCode]:
    ref = world.adapter.new_reference()
    qr = await world.adapter.start_payment(StartPayment(
        attempt_ref=ref, amount_minor=AMOUNT, currency="VND", description="Le phi", return_url="https://p.example",
        notify_url="unused", created_at=datetime.now(UTC)))
    return ref, qr


async def transfer(world: World, scenario: str = "success", style: str = "exact",
                   description: str = "", amount: str = "") -> tuple[str, int, str]:
    """Show a QR, pay it at the sandbox bank (``amount``: what the payer typed over the
    QR's): the reference, the bank page's status, and the bank's transaction id when it
    booked a credit."""
    ref, qr = await show_qr(world)
    page = await world.client.get(f"{world.sandbox_url}/transfer", params={"payload": qr.payload})
    assert page.status_code == 200 and ref in page.text
    assert f'name="amount" inputmode="numeric" value="{AMOUNT}"' in page.text  # the QR's, which the payer may change
    done = await world.client.post(f"{world.sandbox_url}/transfer", data={
        "payload": qr.payload, "scenario": scenario, "description_style": style, "description": description,
        "amount": amount})
    booked = re.search(r"FT[0-9]+", done.text)
    return ref, done.status_code, booked.group(0) if booked else ""


async def test_qr_is_a_napas_vietqr_for_the_reference() -> None:
    adapter = VietqrAdapter(CONFIG, None)  # type: ignore[arg-type]  # showing a QR calls nobody
    ref = adapter.new_reference()
    qr = await adapter.start_payment(StartPayment(attempt_ref=ref, amount_minor=AMOUNT, currency="VND",
                                                  description="x", return_url="r", notify_url="n",
                                                  created_at=datetime.now(UTC)))
    decoded = decode_vietqr(qr.payload)
    assert (decoded.acquirer_bin, decoded.account_number, decoded.amount_minor, decoded.purpose) == (
        CONFIG.acquirer_bin, CONFIG.account_number, AMOUNT, ref)
    assert qr.svg.startswith("<svg")
    with pytest.raises(ValueError, match="new_reference"):
        await adapter.start_payment(StartPayment(attempt_ref="pi_123", amount_minor=1, currency="VND",
                                                 description="x", return_url="r", notify_url="n",
                                                 created_at=datetime.now(UTC)))


@pytest.mark.parametrize("style", ["exact", "lowercase", "extra_words", "glued"])
async def test_reference_found_however_the_app_wrote_it(world: World, style: str) -> None:
    ref, status, _ = await transfer(world, style=style)
    assert status == 200
    [event] = await callbacks_about(world, ref, 1)
    assert (event.attempt_ref, event.reference_candidates, event.amount_minor, event.outcome) == (
        ref, (ref,), AMOUNT, PaymentState.SUCCEEDED)
    queried = await world.adapter.query_payment(payment_query(ref))
    assert (queried.state, queried.provider_ref, queried.amount_minor) == (
        PaymentState.SUCCEEDED, event.provider_ref, AMOUNT)


async def test_missing_reference_and_wrong_amount_reach_the_gateway_unmatched(world: World) -> None:
    ref, _, transaction_id = await transfer(world, "wrong_amount", style="missing")
    [event] = await callbacks_about(world, transaction_id, 1)
    assert (event.attempt_ref, event.reference_candidates) == (None, ())
    assert event.amount_minor == AMOUNT + FAST.wrong_amount_delta_minor
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.PENDING


async def test_two_references_in_one_description_are_left_to_the_gateway(world: World) -> None:
    first, second = world.adapter.new_reference(), world.adapter.new_reference()
    await transfer(world, description=f"tra {first.lower()} va{second}")
    [event] = await callbacks_about(world, first, 1)
    assert event.attempt_ref is None and event.reference_candidates == (first, second)


@pytest.mark.parametrize(("scenario", "status", "callbacks"), [
    ("decline", 402, 0), ("never_calls_back", 200, 0), ("timeout", 504, 0), ("calls_back_five_times", 200, 5),
])
async def test_outcomes(world: World, scenario: str, status: int, callbacks: int) -> None:
    ref, answered, _ = await transfer(world, scenario)
    assert answered == status
    events = await callbacks_about(world, ref, callbacks)
    await asyncio.sleep(0.2)
    assert len(world.receiver.about(ref)) == callbacks and len({e.event_key for e in events}) <= 1
    expected = PaymentState.PENDING if scenario == "decline" else PaymentState.SUCCEEDED
    assert (await world.adapter.query_payment(payment_query(ref))).state is expected


@pytest.mark.parametrize("scenario", ["never_calls_back", "success"])
async def test_the_payer_may_send_another_amount_than_the_qr_asks(world: World, scenario: str) -> None:
    ref, status, transaction_id = await transfer(world, scenario, amount="140000")
    assert status == 200
    [credit] = await world.adapter.find_credits(payment_query(ref))
    assert (credit.attempt_ref, credit.provider_ref, credit.amount_minor) == (ref, transaction_id, 140_000)
    if scenario == "success":  # the search gives the very event the notification carried
        assert await callbacks_about(world, ref, 1) == [credit]


async def test_an_unknown_outcome_is_refused_and_books_nothing(world: World) -> None:
    ref, status, transaction_id = await transfer(world, "pay_half")
    assert (status, transaction_id) == (400, "")
    assert await world.adapter.find_credits(payment_query(ref)) == []


@pytest.mark.parametrize("typed", ["0", "-5", "12.5", "１０００", "500000000"])
async def test_an_amount_that_is_none_is_refused_by_the_bank(world: World, typed: str) -> None:
    ref, status, transaction_id = await transfer(world, amount=typed)
    assert (status, transaction_id) == (400, "")
    assert await world.adapter.find_credits(payment_query(ref)) == []


async def test_a_qr_nobody_paid_is_pending_until_its_validity_ends_then_expired(world: World) -> None:
    ref, _ = await show_qr(world)
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.PENDING
    expired = await world.adapter.query_payment(payment_query(ref, age_s=CONFIG.expire_after_s + 1))
    assert (expired.state, expired.failure_code) == (PaymentState.FAILED, "expired")


async def test_a_credit_after_the_validity_still_counts(world: World) -> None:
    """A QR is only an instruction: money sent after it ended has arrived all the same."""
    ref, _, transaction_id = await transfer(world, "never_calls_back")
    paid = await world.adapter.query_payment(payment_query(ref, age_s=CONFIG.expire_after_s + 1))
    assert (paid.state, paid.provider_ref, paid.amount_minor) == (PaymentState.SUCCEEDED, transaction_id, AMOUNT)


async def test_late_notification(world: World) -> None:
    ref, _, _ = await transfer(world, "late")
    await asyncio.sleep(FAST.late_s / 2)
    assert world.receiver.about(ref) == []
    await callbacks_about(world, ref, 1)


async def test_hostile_notifications(world: World) -> None:
    ref, _, _ = await transfer(world)
    [event] = await callbacks_about(world, ref, 1)
    [message] = world.receiver.about(ref)
    parse = world.adapter.parse_callback
    with pytest.raises(SignatureInvalid, match="no x-signature"):
        parse(InboundMessage(body=message.body))
    with pytest.raises(SignatureInvalid, match="does not match"):
        parse(InboundMessage(body=message.body, headers={"x-signature": "00" * 32}))
    altered = message.body.replace(f'"amount":{AMOUNT}'.encode(), b'"amount":2500000')
    assert altered != message.body
    with pytest.raises(SignatureInvalid):
        parse(InboundMessage(body=altered, headers=message.headers))

    def signed(body: bytes) -> InboundMessage:
        return InboundMessage(body=body, headers={"x-signature": sign_body(body, CONFIG.webhook_secret)})

    with pytest.raises(UnknownMerchant):
        parse(signed(message.body.replace(CONFIG.account_number.encode(), b"999999999")))
    with pytest.raises(MalformedMessage):
        parse(signed(b'{"transactionId": "FT1"}'))
    with pytest.raises(MalformedMessage, match="VND account"):  # a NAPAS 247 credit is in đồng
        parse(signed(message.body.replace(b'"currency":"VND"', b'"currency":"USD"')))
    assert parse(signed(message.body)) == event  # a replay is the same event (same transactionId)


async def test_returns_partial_and_full(world: World) -> None:
    ref, _, _ = await transfer(world)
    [event] = await callbacks_about(world, ref, 1)
    first = await world.adapter.refund(refund_request(ref, event.provider_ref, 100_000, AMOUNT))
    assert (first.state, first.amount_minor) == (RefundState.SUCCEEDED, 100_000)
    again = await world.adapter.refund(refund_request(ref, event.provider_ref, 100_000, AMOUNT, first.refund_ref))
    assert again.state is RefundState.PENDING
    queried = await world.adapter.query_refund(refund_request(ref, event.provider_ref, 100_000, AMOUNT, first.refund_ref))
    assert (queried.state, queried.provider_ref) == (RefundState.SUCCEEDED, first.provider_ref)
    too_much = await world.adapter.refund(refund_request(ref, event.provider_ref, AMOUNT, AMOUNT))
    assert (too_much.state, too_much.failure_code) == (RefundState.FAILED, "amount_exceeds_credit")
    rest = await world.adapter.refund(refund_request(ref, event.provider_ref, 150_000, AMOUNT))
    assert rest.state is RefundState.SUCCEEDED
    unknown = await world.adapter.query_refund(refund_request(ref, event.provider_ref, 1, AMOUNT))
    assert unknown.failure_code == "refund_not_found"


async def test_statement_export(world: World) -> None:
    ref, _, _ = await transfer(world, style="extra_words")
    [event] = await callbacks_about(world, ref, 1)
    refund = refund_request(ref, event.provider_ref, 40_000, AMOUNT)
    await world.adapter.refund(refund)
    response = await world.client.get(f"{world.sandbox_url}/settlement/{business_today().isoformat()}")
    lines = {line.attempt_ref: line for line in world.adapter.parse_settlement(response.content)}
    assert (lines[ref].kind, lines[ref].amount_minor, lines[ref].fee_minor, lines[ref].provider_ref) == (
        "payment", AMOUNT, 0, event.provider_ref)
    assert lines[ref].settlement_date == business_today() and lines[ref].transacted_at == event.occurred_at
    assert (lines[refund.refund_ref].kind, lines[refund.refund_ref].amount_minor) == ("refund", 40_000)


def test_notification_replies() -> None:
    adapter = VietqrAdapter(CONFIG, None)  # type: ignore[arg-type]  # replies need no client
    assert {a: adapter.callback_reply(a).status_code for a in CallbackAnswer} == {
        CallbackAnswer.ACCEPTED: 200, CallbackAnswer.ALREADY_CONFIRMED: 200, CallbackAnswer.ORDER_NOT_FOUND: 200,
        CallbackAnswer.INVALID_AMOUNT: 200, CallbackAnswer.INVALID_SIGNATURE: 401, CallbackAnswer.UNKNOWN_ERROR: 500}
    assert msgspec.json.decode(adapter.callback_reply(CallbackAnswer.ACCEPTED).body)["code"] == "00"


async def test_bank_api_needs_our_key(world: World) -> None:
    intruder = VietqrAdapter(msgspec.structs.replace(CONFIG, base_url=world.sandbox_url, api_key="stolen"),
                             world.client)
    with pytest.raises(ProviderRejected, match="unauthorized"):
        await intruder.query_payment(payment_query(world.adapter.new_reference()))
