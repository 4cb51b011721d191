"""Provider callbacks are hostile input, applied once: VNPAY IPNs signed as VNPAY signs them,
sent to the real server."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
import pytest
import stripe

from catalogue.model import payable_account
from gateway.keys.model import Scope
from gateway.payments import attempt_store, store
from gateway.payments.booking import book_payment
from gateway.payments.model import Status
from gateway.payments.outcomes import Result
from gateway.payments.settling import settle_attempt
from providers.model import PaymentState
from providers.vnpay import api
from providers.vnpay.config import VnpayConfig
from providers.vnpay.signing import SECURE_HASH, canonical_query, sign_params
from tests.gateway.payment_flows import attempt_flag, awaiting, create, ledger_payments, send_concurrently

CONFIG = VnpayConfig()  # the sandbox terminal the server runs with


def ipn_url(api_url: str, attempt_ref: str, amount_minor: int, *, transaction_no: str = "14000001",
            response_code: str = "00") -> str:
    result = {"vnp_Amount": api.to_vnp_amount(amount_minor), "vnp_BankCode": "NCB", "vnp_OrderInfo": "Thanh toan",
              "vnp_PayDate": "20261122103000", "vnp_ResponseCode": response_code, "vnp_TmnCode": CONFIG.tmn_code,
              "vnp_TransactionNo": transaction_no, "vnp_TransactionStatus": response_code, "vnp_TxnRef": attempt_ref}
    signed = sign_params(result, CONFIG.hash_secret)
    return f"{api_url}/callbacks/vnpay?{canonical_query(signed)}&{SECURE_HASH}={signed[SECURE_HASH]}"


def awaiting_vnpay(client) -> tuple[str, str]:
    intent_id, confirmed = awaiting(client, "vnpay")
    return intent_id, confirmed.latest_attempt


def test_the_same_callback_50_times_at_once_moves_money_once(client, api_url, api_database_url):
    intent_id, attempt_ref = awaiting_vnpay(client)
    answers = send_concurrently("GET", ipn_url(api_url, attempt_ref, 150_000), 50)
    codes = sorted(answer.json()["RspCode"] for answer in answers)
    assert codes == ["00"] + ["02"] * 49  # once confirmed, then "already confirmed"
    assert len(ledger_payments(api_database_url, attempt_ref)) == 1
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1


def test_a_sandbox_gateway_has_no_test_mode_route(client, api_url, api_database_url):
    """Its sandboxes call back on /callbacks/<provider>, where their secrets are the gateway's
    own: a second route for their messages would apply one message twice, under two keys."""
    intent_id, attempt_ref = awaiting_vnpay(client)
    on_the_test_route = ipn_url(api_url, attempt_ref, 150_000).replace("/callbacks/vnpay", "/callbacks/test/vnpay")
    assert httpx.get(on_the_test_route).status_code == 404
    assert ledger_payments(api_database_url, attempt_ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_a_first_payment_opens_its_agencys_payable_account_in_its_transaction(client, agency, api_url,
                                                                               api_database_url):
    # A new agency has API keys and no catalogue entry: no payable account, which the ledger
    # refuses in the callback's one-go transaction; the whole is then done again, opening it.
    intent_id, attempt_ref = awaiting_vnpay(client)
    assert httpx.get(ipn_url(api_url, attempt_ref, 150_000)).json()["RspCode"] == "00"
    assert ledger_payments(api_database_url, attempt_ref) == [
        ("provider:vnpay:clearing", payable_account(agency, livemode=False), 150_000)]
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1


def test_a_payment_the_ledger_holds_already_is_settled_without_booking_it_again(client, api_url, api_database_url):
    # The one-go transaction's insert does not skip an existing transfer: the ledger refuses
    # it, the whole is rolled back and done again step by step, where the ledger answers
    # "exists" for the same transfer (as after a repair by hand), and the attempt settles.
    intent_id, attempt_ref = awaiting_vnpay(client)
    asyncio.run(book_beforehand(api_database_url, attempt_ref))
    assert httpx.get(ipn_url(api_url, attempt_ref, 150_000)).json()["RspCode"] == "00"
    assert len(ledger_payments(api_database_url, attempt_ref)) == 1
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1


async def book_beforehand(database_url: str, attempt_ref: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        attempt = await attempt_store.get_attempt(conn, attempt_ref)
        intent = await store.get_intent(conn, Scope(agency_code=attempt.agency_code, livemode=attempt.livemode),
                                        attempt.intent_id)
        await book_payment(conn, intent, attempt)


def test_another_statements_error_in_the_one_go_transaction_is_raised_without_a_second_try(client, api_url,
                                                                                          api_database_url):
    # Only the ledger's refusal is worth doing the whole again for (it names the refusal, or
    # opens the agency's account); here what is recorded with the verdict breaks a rule of
    # its own table, which a second try would only meet again.
    intent_id, attempt_ref = awaiting_vnpay(client)
    assert asyncio.run(settle_recording_a_refused_row(api_database_url, attempt_ref)) == 1
    assert ledger_payments(api_database_url, attempt_ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION
    assert client.v1.events.list(params={"type": "payment_intent.succeeded"}).data == []


async def settle_recording_a_refused_row(database_url: str, attempt_ref: str) -> int:
    """Settle the attempt as paid, recording a row its table refuses; how many tries recorded it."""
    tries = 0

    async def record(conn, verdict) -> None:
        nonlocal tries
        tries += 1
        await conn.execute("INSERT INTO positive VALUES (0)")

    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("CREATE TEMP TABLE positive (n int CHECK (n > 0))")
        paid = Result(state=PaymentState.SUCCEEDED, provider_ref="14000001", amount_minor=150_000, currency="VND")
        with pytest.raises(psycopg.errors.CheckViolation):
            await settle_attempt(conn, attempt_ref, paid, provider="vnpay", record=record)
    return tries


def test_altered_or_wrong_amount_callbacks_move_no_money(client, api_url, api_database_url):
    intent_id, attempt_ref = awaiting_vnpay(client)
    forged = ipn_url(api_url, attempt_ref, 150_000).replace("vnp_Amount=15000000", "vnp_Amount=100")
    assert httpx.get(forged).json()["RspCode"] == "97"  # invalid signature
    assert httpx.get(ipn_url(api_url, attempt_ref, 140_000, transaction_no="14000002")).json()["RspCode"] == "04"
    assert httpx.get(ipn_url(api_url, "PAnosuchattempt0000000000", 150_000)).json()["RspCode"] == "01"
    assert ledger_payments(api_database_url, attempt_ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION
    assert attempt_flag(api_database_url, attempt_ref) == "amount_mismatch"


def test_a_failure_after_a_success_changes_nothing(client, api_url, api_database_url):
    intent_id, attempt_ref = awaiting_vnpay(client)
    assert httpx.get(ipn_url(api_url, attempt_ref, 150_000)).json()["RspCode"] == "00"
    late_failure = ipn_url(api_url, attempt_ref, 150_000, transaction_no="14000009", response_code="24")
    assert httpx.get(late_failure).json()["RspCode"] == "02"
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(ledger_payments(api_database_url, attempt_ref)) == 1


def test_a_second_successful_attempt_is_refunded_automatically(client, api_url, api_database_url):
    intent_id, first = awaiting_vnpay(client)
    # The payer abandons VNPAY's page and pays by card; then VNPAY's success arrives too.
    client.v1.payment_intents.update(intent_id, params={"payment_method_types": ["vnpay", "card"]})
    assert client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"}).status == "succeeded"
    assert httpx.get(ipn_url(api_url, first, 150_000)).json()["RspCode"] == "00"
    assert len(ledger_payments(api_database_url, first)) == 1
    refunds = client.v1.refunds.list(params={"payment_intent": intent_id}).data
    assert [(r.amount, r.automatic, r.reason) for r in refunds] == [(150_000, True, "duplicate")]
    assert attempt_flag(api_database_url, first) == "second_success"


def test_card_refunds_partial_then_the_rest_never_more(client, agency, api_database_url):
    intent = create(client)
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    first = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 50_000})
    assert (first.status, first.amount) == ("succeeded", 50_000)
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert (rest.status, rest.amount) == ("succeeded", 100_000)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1})
    assert refused.value.code == "charge_already_refunded"
    assert client.v1.refunds.retrieve(first.id).amount == 50_000
    with psycopg.connect(api_database_url) as conn:
        payable = conn.execute("SELECT coalesce(sum(credits_posted - debits_posted), 0) FROM ledger.balance_slots s"
                               " JOIN ledger.accounts a ON a.id = s.account_id WHERE a.code = %s",
                               (f"agency:test:{agency}:payable",)).fetchone()[0]
    assert payable == 0
