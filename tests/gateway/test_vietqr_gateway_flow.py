"""VietQR through the real server and its sandbox bank over real HTTP: the EMVCo QR in
next_action, the bank's signed credit notification matched by the reference in the transfer
description (however the payer's app wrote it), money we cannot attribute kept in suspense,
the account search when no notification comes, and hostile messages moving no money."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx
import msgspec
import pytest
import stripe

from gateway.payments.model import Status
from providers.vietqr.config import VietqrConfig
from providers.vietqr.emvco import decode_vietqr
from providers.vietqr.notification import SIGNATURE_HEADER, CreditNotification, sign_body
from tests.gateway.payment_flows import (
    attempt_flag, awaiting, eventually, ledger_payments, ledger_transfers, logged, send_concurrently,
    settled_refunds, wait_for_status,
)

CONFIG = VietqrConfig()  # the account the server collects on
AMOUNT = 150_000


def qr_of(confirmed: stripe.PaymentIntent) -> str:
    return confirmed.next_action.vietqr_display_qr_code.data


def transfer(api_url: str, confirmed: stripe.PaymentIntent, scenario: str = "success",
             style: str = "exact") -> tuple[int, str]:
    """The payer scans the QR in their banking app (the sandbox bank's page) and sends the
    transfer: the page's status and the bank's transaction id, when it booked a credit."""
    page = f"{api_url}/sandbox/vietqr/transfer"
    with httpx.Client(timeout=30) as app:
        assert app.get(page, params={"payload": qr_of(confirmed)}).status_code == 200
        done = app.post(page, data={"payload": qr_of(confirmed), "scenario": scenario, "description_style": style})
    booked = re.search(r"FT[0-9]+", done.text)
    return done.status_code, booked.group(0) if booked else ""


def notification(description: str, amount: int = AMOUNT, *, account: str = CONFIG.account_number,
                 transaction_id: str | None = None) -> bytes:
    return msgspec.json.encode(CreditNotification(
        transaction_id=transaction_id or f"FT{uuid.uuid4().int % 10**12:012d}", account_number=account,
        amount=amount, currency="VND", description=description, booking_time=datetime.now(UTC)))


def notify(api_url: str, body: bytes, signature: str | None = None) -> httpx.Response:
    signed = sign_body(body, CONFIG.webhook_secret) if signature is None else signature
    return httpx.post(f"{api_url}/callbacks/vietqr", content=body, timeout=30,
                      headers={"content-type": "application/json", SIGNATURE_HEADER: signed})


def suspense(api_database_url: str, transaction_id: str) -> list[tuple]:
    return ledger_transfers(api_database_url, transaction_id, "unattributed")


@pytest.mark.parametrize("style", ["exact", "lowercase", "extra_words", "glued"])
def test_the_qr_paid_with_the_reference_however_written_settles_the_payment(style, client, agency, api_url,
                                                                            api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    assert (confirmed.status, confirmed.next_action.type) == (Status.REQUIRES_ACTION, "vietqr_display_qr_code")
    qr = decode_vietqr(qr_of(confirmed))
    assert (qr.account_number, qr.amount_minor, qr.purpose) == (CONFIG.account_number, AMOUNT,
                                                                confirmed.latest_attempt)
    status, _ = transfer(api_url, confirmed, style=style)
    assert status == 200
    assert wait_for_status(client, intent_id, Status.SUCCEEDED).amount_received == AMOUNT
    [(debited, credited, amount)] = ledger_payments(api_database_url, confirmed.latest_attempt)
    # The agency's payable account (its name also says test or live mode).
    assert (debited, amount) == ("provider:vietqr:clearing", AMOUNT) and credited.endswith(f"{agency}:payable")


def test_a_credit_without_a_reference_is_kept_in_suspense(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    status, transaction_id = transfer(api_url, confirmed, style="missing")
    assert status == 200
    assert eventually(lambda: suspense(api_database_url, transaction_id), bool) == [
        ("provider:vietqr:clearing", "suspense", AMOUNT)]
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


@pytest.mark.parametrize("difference", [-1_000, +5_000])
def test_an_amount_other_than_asked_is_flagged_and_kept_in_suspense(difference, client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    transaction_id = f"FTX{uuid.uuid4().hex[:10]}"
    body = notification(f"chuyen tien {confirmed.latest_attempt}", AMOUNT + difference, transaction_id=transaction_id)
    answer = notify(api_url, body)
    assert (answer.status_code, answer.json()["code"]) == (200, "00")  # received: the bank must not resend it
    assert attempt_flag(api_database_url, confirmed.latest_attempt) == "amount_mismatch"
    assert suspense(api_database_url, transaction_id) == [("provider:vietqr:clearing", "suspense", AMOUNT + difference)]
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_the_sandbox_wrong_amount_outcome_is_flagged(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    status, transaction_id = transfer(api_url, confirmed, "wrong_amount")
    assert status == 200
    assert eventually(lambda: suspense(api_database_url, transaction_id), bool) == [
        ("provider:vietqr:clearing", "suspense", AMOUNT - 1_000)]
    assert attempt_flag(api_database_url, confirmed.latest_attempt) == "amount_mismatch"
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_the_same_notification_50_times_at_once_moves_money_once(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    body = notification(f"{confirmed.latest_attempt.lower()} le phi")
    answers = send_concurrently("POST", f"{api_url}/callbacks/vietqr", 50, content=body,
                                headers={"content-type": "application/json",
                                         SIGNATURE_HEADER: sign_body(body, CONFIG.webhook_secret)})
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(200, "00")] * 50
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1


def test_unsigned_forged_or_foreign_notifications_move_no_money(client, api_url, api_database_url, server_log):
    intent_id, confirmed = awaiting(client, "vietqr")
    genuine = notification(confirmed.latest_attempt)
    altered = genuine.replace(f'"amount":{AMOUNT}'.encode(), b'"amount":15000000')
    foreign = notification(confirmed.latest_attempt, account="9999999999")  # signed, for someone else's account
    answers = [notify(api_url, genuine, signature=""), notify(api_url, genuine, signature=sign_body(genuine, "guess")),
               notify(api_url, altered, signature=sign_body(genuine, CONFIG.webhook_secret)), notify(api_url, foreign)]
    assert [answer.status_code for answer in answers] == [401] * 4
    assert logged(server_log, "vietqr callback refused", "no x-signature header")
    assert logged(server_log, "vietqr callback refused", "x-signature does not match the body")
    assert logged(server_log, "vietqr callback refused", "9999999999")
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []
    # A visit to the return URL carries no bank's word: it pays nothing.
    back = httpx.get(f"{api_url}/return/vietqr/{confirmed.latest_attempt}", follow_redirects=False)
    assert "redirect_status=processing" in back.headers["location"]
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_a_second_transfer_for_a_paid_qr_is_kept_in_suspense(client, api_url, api_database_url):
    """The payer's app sends the transfer twice: the payment is booked once, and the second
    credit, which has arrived all the same, is not lost."""
    intent_id, confirmed = awaiting(client, "vietqr")
    first, second = notification(confirmed.latest_attempt), notification(f"lai {confirmed.latest_attempt}")
    assert notify(api_url, first).status_code == notify(api_url, second).status_code == 200
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    second_id = msgspec.json.decode(second)["transactionId"]
    assert suspense(api_database_url, second_id) == [("provider:vietqr:clearing", "suspense", AMOUNT)]
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED


@pytest.mark.parametrize("scenario", ["never_calls_back", "timeout"])
def test_without_a_notification_the_account_search_settles_it(scenario, client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    status, _ = transfer(api_url, confirmed, scenario)
    assert status == (504 if scenario == "timeout" else 200)
    assert wait_for_status(client, intent_id, Status.SUCCEEDED).status == Status.SUCCEEDED
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1


def test_five_notifications_of_one_credit_book_it_once(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    _, transaction_id = transfer(api_url, confirmed, "calls_back_five_times")
    assert wait_for_status(client, intent_id, Status.SUCCEEDED).status == Status.SUCCEEDED
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    assert suspense(api_database_url, transaction_id) == []


def test_a_declined_transfer_leaves_the_qr_waiting(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    assert transfer(api_url, confirmed, "decline") == (402, "")
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []


def test_a_second_success_after_switching_to_card_is_returned_and_flagged(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    client.v1.payment_intents.update(intent_id, params={"payment_method_types": ["vietqr", "card"]})
    assert client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"}).status == "succeeded"
    transfer(api_url, confirmed)  # the QR was still on the payer's screen
    assert eventually(lambda: attempt_flag(api_database_url, confirmed.latest_attempt),
                      lambda flag: flag is not None) == "second_success"
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    [refund] = settled_refunds(client, intent_id)
    assert (refund.amount, refund.automatic, refund.reason, refund.status) == (AMOUNT, True, "duplicate", "succeeded")


def test_a_transfer_after_cancel_is_returned_and_flagged(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    assert client.v1.payment_intents.cancel(intent_id).status == Status.CANCELED
    transfer(api_url, confirmed)
    assert eventually(lambda: attempt_flag(api_database_url, confirmed.latest_attempt),
                      lambda flag: flag is not None) == "succeeded_after_cancel"
    [refund] = settled_refunds(client, intent_id)
    assert (refund.amount, refund.automatic, refund.status) == (AMOUNT, True, "succeeded")
