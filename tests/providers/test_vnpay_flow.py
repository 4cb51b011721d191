"""VNPAY end to end over real HTTP: adapter → sandbox payment page → return URL and IPN to
a real merchant endpoint → querydr, refund, settlement file."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import msgspec
import pytest
from conftest import (
    ADAPTER_TIMEOUT_S, FAST, World, business_today, callbacks_about, new_ref, payment_query, provider_world,
    refund_request,
)

from providers.errors import MalformedMessage, ProviderUnavailable, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.protocol import (
    CallbackAnswer, InboundMessage, PaymentQuery, RefundRequest, RefundState, StartPayment,
)
from providers.vnpay.adapter import VnpayAdapter
from providers.vnpay.config import VnpayConfig
from providers.vnpay.sandbox import create_sandbox_app
from providers.vnpay.signing import secure_hash

CONFIG = VnpayConfig(timeout_s=ADAPTER_TIMEOUT_S)
AMOUNT = 200_000


@pytest.fixture(scope="module")
async def world() -> AsyncIterator[World]:
    async with provider_world(
            lambda url, client: VnpayAdapter(msgspec.structs.replace(CONFIG, base_url=url), client),
            lambda merchant: create_sandbox_app(CONFIG, ipn_url=merchant, timing=FAST)) as built:
        yield built


def start(ref: str, amount_minor: int = AMOUNT) -> StartPayment:
    return StartPayment(attempt_ref=ref, amount_minor=amount_minor, currency="VND", description="Le phi ho chieu",
                        return_url="https://portal.example/return?lang=vi", notify_url="unused",
                        created_at=datetime.now(UTC))


async def pay(world: World, scenario: str, amount_minor: int = AMOUNT) -> tuple[str, int, dict[str, str]]:
    """Start a payment, open the sandbox page, choose ``scenario``; the attempt ref, the
    page's final HTTP status and the return URL's query (empty when not redirected)."""
    ref = new_ref()
    redirect = await world.adapter.start_payment(start(ref, amount_minor))
    page = await world.client.get(redirect.url)
    reloaded = await world.client.get(redirect.url)
    assert page.status_code == reloaded.status_code == 200 and 'value="success"' in page.text
    answer = await world.client.post(f"{world.sandbox_url}/paymentv2/pay", data={"txn_ref": ref, "scenario": scenario})
    query = dict(parse_qsl(urlsplit(answer.headers.get("location", "")).query))
    return ref, answer.status_code, query


async def test_success_returns_the_payer_and_confirms_by_ipn(world: World) -> None:
    ref, status, returned = await pay(world, "success")
    assert status == 302 and returned["lang"] == "vi"  # our own return-URL parameter survives
    event = world.adapter.parse_callback(InboundMessage(query=returned))
    assert (event.attempt_ref, event.amount_minor, event.currency, event.outcome) == (
        ref, AMOUNT, "VND", PaymentState.SUCCEEDED)
    [ipn] = await callbacks_about(world, ref, 1)
    assert ipn.event_key == event.event_key and ipn.provider_ref == event.provider_ref
    status_now = await world.adapter.query_payment(payment_query(ref))
    assert (status_now.state, status_now.amount_minor, status_now.provider_ref) == (
        PaymentState.SUCCEEDED, AMOUNT, event.provider_ref)


async def test_decline(world: World) -> None:
    ref, _, returned = await pay(world, "decline")
    event = world.adapter.parse_callback(InboundMessage(query=returned))
    assert (event.outcome, event.failure_code) == (PaymentState.FAILED, "51")
    [ipn] = await callbacks_about(world, ref, 1)
    assert ipn.outcome is PaymentState.FAILED
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.FAILED


@pytest.mark.parametrize("scenario", ["never_calls_back", "timeout"])
async def test_no_callback_then_the_status_query_settles_it(world: World, scenario: str) -> None:
    ref, status, _ = await pay(world, scenario)
    assert status == (504 if scenario == "timeout" else 302)
    await asyncio.sleep(0.3)
    assert world.receiver.about(ref) == []
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.SUCCEEDED


async def test_five_identical_callbacks_share_one_event_key(world: World) -> None:
    ref, _, _ = await pay(world, "calls_back_five_times")
    events = await callbacks_about(world, ref, 5)
    assert len({e.event_key for e in events}) == 1 and events[0].outcome is PaymentState.SUCCEEDED


async def test_wrong_amount_is_reported_as_paid(world: World) -> None:
    ref, _, returned = await pay(world, "wrong_amount")
    event = world.adapter.parse_callback(InboundMessage(query=returned))
    assert event.amount_minor == AMOUNT + FAST.wrong_amount_delta_minor  # the gateway refuses it, code 04


async def test_late_callback_arrives_after_the_delay(world: World) -> None:
    ref, _, _ = await pay(world, "late")
    await asyncio.sleep(FAST.late_s / 2)
    assert world.receiver.about(ref) == []
    [event] = await callbacks_about(world, ref, 1)
    assert event.outcome is PaymentState.SUCCEEDED


async def test_ipn_is_retried_until_the_merchant_confirms(world: World) -> None:
    answers = iter([CallbackAnswer.UNKNOWN_ERROR, CallbackAnswer.UNKNOWN_ERROR, CallbackAnswer.ACCEPTED])
    world.receiver.decide = lambda message: next(answers, CallbackAnswer.ACCEPTED)
    try:
        ref, _, _ = await pay(world, "success")
        await callbacks_about(world, ref, 3)
        await asyncio.sleep(0.4)  # longer than the remaining retry delays: no fourth delivery
        assert len(world.receiver.about(ref)) == 3
        log = (await world.client.get(f"{world.sandbox_url}/_sandbox/deliveries")).json()
        mine = [d for d in log if ref in d["url"]]
        assert [(d["attempt"], d["acknowledged"]) for d in mine] == [(0, False), (1, False), (2, True)]
    finally:
        world.receiver.decide = world.receiver.accept_if_verified


async def test_hostile_callbacks_are_refused_with_a_reason(world: World) -> None:
    ref, _, returned = await pay(world, "success")
    adapter = world.adapter
    unsigned = {k: v for k, v in returned.items() if k != "vnp_SecureHash"}
    with pytest.raises(SignatureInvalid, match="no vnp_SecureHash"):
        adapter.parse_callback(InboundMessage(query=unsigned))
    with pytest.raises(SignatureInvalid):
        adapter.parse_callback(InboundMessage(query={**returned, "vnp_SecureHash": "0" * 128}))
    with pytest.raises(SignatureInvalid):  # altered amount
        adapter.parse_callback(InboundMessage(query={**returned, "vnp_Amount": "100"}))
    with pytest.raises(SignatureInvalid):  # replayed with another reference
        adapter.parse_callback(InboundMessage(query={**returned, "vnp_TxnRef": "pi_other"}))
    other_terminal = {**unsigned, "vnp_TmnCode": "OTHERTMN"}
    other_terminal["vnp_SecureHash"] = secure_hash(other_terminal, CONFIG.hash_secret)
    with pytest.raises(UnknownMerchant):
        adapter.parse_callback(InboundMessage(query=other_terminal))
    no_amount = {k: v for k, v in unsigned.items() if k != "vnp_Amount"}
    no_amount["vnp_SecureHash"] = secure_hash(no_amount, CONFIG.hash_secret)
    with pytest.raises(MalformedMessage, match="vnp_Amount"):
        adapter.parse_callback(InboundMessage(query=no_amount))
    # An unaltered replay verifies, and is the same event: the gateway applies it once.
    assert adapter.parse_callback(InboundMessage(query=returned)) == adapter.parse_callback(
        InboundMessage(query=dict(returned)))


async def test_sandbox_refuses_a_tampered_payment_url_and_a_used_reference(world: World) -> None:
    redirect = await world.adapter.start_payment(start("pitampered"))
    page = await world.client.get(redirect.url.replace(f"vnp_Amount={AMOUNT * 100}", "vnp_Amount=100"))
    assert page.status_code == 400 and "97" in page.text
    ref, _, _ = await pay(world, "success")
    again = await world.client.get((await world.adapter.start_payment(start(ref))).url)
    assert again.status_code == 400 and "already used" in again.text


def refund(ref: str, provider_ref: str, amount_minor: int, refund_ref: str | None = None) -> RefundRequest:
    return refund_request(ref, provider_ref, amount_minor, AMOUNT, refund_ref)


async def paid(world: World) -> tuple[str, str]:
    ref, _, returned = await pay(world, "success")
    return ref, returned["vnp_TransactionNo"]


async def test_partial_then_remaining_refund(world: World) -> None:
    ref, number = await paid(world)
    first = await world.adapter.refund(refund(ref, number, 50_000))
    assert first.state is RefundState.SUCCEEDED
    queried = await world.adapter.query_refund(refund(ref, number, 50_000, first.refund_ref))
    assert (queried.state, queried.amount_minor) == (RefundState.SUCCEEDED, 50_000)
    too_much = await world.adapter.refund(refund(ref, number, 160_000))
    assert (too_much.state, too_much.failure_code) == (RefundState.FAILED, "93")
    full_after_partial = await world.adapter.refund(refund(ref, number, AMOUNT))
    assert (full_after_partial.state, full_after_partial.failure_code) == (RefundState.FAILED, "04")
    again = await world.adapter.refund(refund(ref, number, 50_000, first.refund_ref))
    assert again.state is RefundState.PENDING  # 94: a duplicate request, query it
    assert (await world.adapter.refund(refund(ref, number, 150_000))).state is RefundState.SUCCEEDED
    assert (await world.adapter.query_payment(payment_query(ref))).state is PaymentState.SUCCEEDED


async def test_full_refund_and_refusals(world: World) -> None:
    ref, number = await paid(world)
    assert (await world.adapter.refund(refund(ref, number, AMOUNT))).state is RefundState.SUCCEEDED
    declined, _, returned = await pay(world, "decline")
    failed = await world.adapter.refund(refund(declined, returned["vnp_TransactionNo"], AMOUNT))
    assert (failed.state, failed.failure_code) == (RefundState.FAILED, "95")
    never_refunded, number = await paid(world)
    result = await world.adapter.query_refund(refund(never_refunded, number, AMOUNT))
    assert (result.state, result.failure_code) == (RefundState.FAILED, "refund_not_found")


async def test_an_order_vnpay_has_not_seen_is_pending_until_its_expiry_then_expired(world: World) -> None:
    """The payer may open the page any time before vnp_ExpireDate; after it, nobody can."""
    fresh = await world.adapter.query_payment(payment_query("PAneverstarted"))
    assert (fresh.state, fresh.failure_code) == (PaymentState.PENDING, None)
    expired = await world.adapter.query_payment(payment_query("PAneverstarted", age_s=CONFIG.expire_after_s + 1))
    assert (expired.state, expired.failure_code) == (PaymentState.FAILED, "expired")


async def test_unreachable_provider_is_unavailable(world: World) -> None:
    gone = VnpayAdapter(msgspec.structs.replace(CONFIG, base_url="http://127.0.0.1:9"), world.client)
    with pytest.raises(ProviderUnavailable):
        await gone.query_payment(payment_query("pi_x"))


async def test_settlement_file_lists_what_was_processed(world: World) -> None:
    ref, number = await paid(world)
    refunded = refund(ref, number, 30_000)
    await world.adapter.refund(refunded)
    await pay(world, "decline")  # not money: not in the file
    response = await world.client.get(f"{world.sandbox_url}/settlement/{business_today().isoformat()}")
    lines = {line.attempt_ref: line for line in world.adapter.parse_settlement(response.content)}
    payment, refund_line = lines[ref], lines[refunded.refund_ref]
    assert (payment.kind, payment.amount_minor, payment.fee_minor, payment.provider_ref) == (
        "payment", AMOUNT, AMOUNT * 110 // 10_000, number)
    assert (refund_line.kind, refund_line.amount_minor, refund_line.fee_minor) == ("refund", 30_000, 0)
    # The file lists the refund under its payment's TxnRef, with VNPAY's own number for it.
    [row] = [row for row in csv.DictReader(io.StringIO(response.text)) if row["RequestId"] == refunded.refund_ref]
    assert row["TxnRef"] == ref and row["TransactionNo"] not in ("", number)
    assert payment.settlement_date == business_today().fromordinal(business_today().toordinal() + 1)
    assert all(line.provider == "vnpay" and line.currency == "VND" for line in lines.values())


def test_ipn_replies_are_vnpays_codes() -> None:
    adapter = VnpayAdapter(CONFIG, None)  # type: ignore[arg-type]  # replies need no client
    codes = {answer: msgspec.json.decode(adapter.callback_reply(answer).body)["RspCode"] for answer in CallbackAnswer}
    assert codes == {CallbackAnswer.ACCEPTED: "00", CallbackAnswer.ORDER_NOT_FOUND: "01",
                     CallbackAnswer.ALREADY_CONFIRMED: "02", CallbackAnswer.INVALID_AMOUNT: "04",
                     CallbackAnswer.INVALID_SIGNATURE: "97", CallbackAnswer.UNKNOWN_ERROR: "99"}
    assert msgspec.json.decode(adapter.callback_reply(CallbackAnswer.ACCEPTED).body) == {
        "RspCode": "00", "Message": "Confirm Success"}


async def test_an_order_left_unpaid_past_its_expiry_cannot_be_paid_and_has_failed(world: World) -> None:
    ref = new_ref()
    started = start(ref)
    expired_already = msgspec.structs.replace(started, created_at=datetime.now(UTC) - timedelta(
        seconds=CONFIG.expire_after_s + 1))
    redirect = await world.adapter.start_payment(expired_already)
    assert (await world.client.get(redirect.url)).status_code == 200  # the payer opened the page, then left
    late = await world.client.post(f"{world.sandbox_url}/paymentv2/pay", data={"txn_ref": ref, "scenario": "success"})
    assert late.status_code == 400 and "quá thời gian" in late.text
    status_now = await world.adapter.query_payment(PaymentQuery(attempt_ref=ref, created_at=expired_already.created_at))
    assert (status_now.state, status_now.failure_code) == (PaymentState.FAILED, "expired")


async def test_an_unknown_outcome_is_refused_and_the_order_can_still_be_paid(world: World) -> None:
    ref = new_ref()
    redirect = await world.adapter.start_payment(start(ref))
    assert (await world.client.get(redirect.url)).status_code == 200
    for scenario in ("refund_twice", ""):
        refused = await world.client.post(f"{world.sandbox_url}/paymentv2/pay", data={"txn_ref": ref,
                                                                                     "scenario": scenario})
        assert refused.status_code == 400 and "calls_back_five_times" in refused.text
    paid = await world.client.post(f"{world.sandbox_url}/paymentv2/pay", data={"txn_ref": ref, "scenario": "success"})
    assert paid.status_code == 302


async def test_a_decline_is_not_an_expiry(world: World) -> None:
    ref, _, _ = await pay(world, "decline")
    declined = await world.adapter.query_payment(payment_query(ref, age_s=CONFIG.expire_after_s + 1))
    assert (declined.state, declined.failure_code) == (PaymentState.FAILED, "02")
