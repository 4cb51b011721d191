"""MoMo through the real server and its sandbox over real HTTP: the payUrl, the payer's
choice of outcome, the signed IPN answered 204, the status query when nobody calls back, and
every hostile message moving no money."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import stripe

from gateway.payments.model import Status
from providers.momo.config import MomoConfig
from providers.momo.signing import PaymentResult, sign_message
from tests.gateway.payment_flows import (
    RETURN_URL, attempt_flag, awaiting, create, deliveries, eventually, ledger_payments, logged,
    pay_at_sandbox, refund_phases, send_concurrently, settled_refunds, wait_for_status,
)

CONFIG = MomoConfig()  # the partner the server runs with
AMOUNT = 150_000
JSON = {"content-type": "application/json"}


def ipn(attempt_ref: str, amount: int = AMOUNT, *, trans_id: int = 4_100_000_001, result_code: int = 0,
        partner_code: str = CONFIG.partner_code) -> PaymentResult:
    return sign_message(PaymentResult(
        partner_code=partner_code, order_id=attempt_ref, request_id=attempt_ref, amount=amount,
        order_info="Thanh toan", order_type="momo_wallet", trans_id=trans_id, result_code=result_code,
        message="Thành công." if result_code == 0 else "Từ chối", pay_type="qr",
        response_time=int(time.time() * 1000)), CONFIG.access_key, CONFIG.secret_key)


def post_ipn(api_url: str, message: PaymentResult | bytes) -> httpx.Response:
    body = message if isinstance(message, bytes) else msgspec.json.encode(message)
    return httpx.post(f"{api_url}/callbacks/momo", content=body, headers=JSON, timeout=30)


def pay(confirmed: stripe.PaymentIntent, scenario: str, *, follow: bool = True) -> httpx.Response:
    """The payer opens payUrl and chooses ``scenario``; with ``follow``, the browser goes
    back through our return URL to the agency's page (the final answer is returned)."""
    pay_url = confirmed.next_action.redirect_to_url.url
    with httpx.Client(timeout=30) as browser:
        assert browser.get(pay_url).status_code == 200
        form_url = pay_url.split("?")[0]
        answer = pay_at_sandbox(browser, form_url, {"orderId": confirmed.latest_attempt}, scenario)
        if follow and answer.status_code in (302, 303):
            return browser.get(answer.headers["location"], follow_redirects=False)
    return answer


def test_pay_url_then_signed_ipn_and_return_settle_the_payment_once(client, agency, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    assert confirmed.status == Status.REQUIRES_ACTION
    assert confirmed.next_action.type == "redirect_to_url"
    assert confirmed.next_action.redirect_to_url.url.startswith(f"{api_url}/sandbox/momo/pay?orderId=")
    assert confirmed.next_action.momo_display_qr_code.data.startswith("momo://")
    back = pay(confirmed, "success")
    assert back.status_code in (302, 303)
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert back.headers["location"].startswith(f"{RETURN_URL}?")
    assert (query["payment_intent"], query["redirect_status"]) == ([intent_id], ["succeeded"])
    assert query["payment_intent_client_secret"] == [confirmed.client_secret]  # an agency's page, as Stripe
    assert wait_for_status(client, intent_id, Status.SUCCEEDED).amount_received == AMOUNT
    [(debited, credited, amount)] = ledger_payments(api_database_url, confirmed.latest_attempt)
    # The agency's payable account (its name also says test or live mode).
    assert (debited, amount) == ("provider:momo:clearing", AMOUNT) and credited.endswith(f"{agency}:payable")
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1
    # MoMo's IPN was answered 204, the answer MoMo reads as "received".
    assert any(d["status_code"] == 204 and d["acknowledged"] for d in deliveries(api_url, "momo"))


def test_the_same_ipn_50_times_at_once_moves_money_once(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    answers = send_concurrently("POST", f"{api_url}/callbacks/momo", 50,
                                content=msgspec.json.encode(ipn(confirmed.latest_attempt)), headers=JSON)
    assert [answer.status_code for answer in answers] == [204] * 50
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(client.v1.events.list(params={"type": "payment_intent.succeeded"}).data) == 1


def test_unsigned_forged_replayed_or_foreign_ipns_move_no_money(client, api_url, api_database_url, server_log):
    intent_id, confirmed = awaiting(client, "momo")
    attempt_ref = confirmed.latest_attempt
    genuine = msgspec.to_builtins(ipn(attempt_ref, result_code=1006))
    unsigned = msgspec.json.encode({**genuine, "signature": ""})
    # A genuine failure, replayed with its result turned into a success and a higher amount.
    replayed = msgspec.json.encode({**genuine, "resultCode": 0, "amount": AMOUNT * 10})
    foreign = ipn(attempt_ref, partner_code="MOMOSOMEONEELSE")  # signed with our keys, not our partner code
    assert [post_ipn(api_url, m).status_code for m in (unsigned, replayed, foreign)] == [400, 400, 400]
    assert logged(server_log, "momo callback refused", "no signature")
    assert logged(server_log, "momo callback refused", "signature does not match")
    assert logged(server_log, "momo callback refused", "MOMOSOMEONEELSE")
    assert ledger_payments(api_database_url, attempt_ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION
    # A return URL visit with a forged result (or none) is no payment either.
    forged = {k: str(v) for k, v in {**genuine, "resultCode": 0}.items()}
    for query in (forged, {}):
        back = httpx.get(f"{api_url}/return/momo/{attempt_ref}", params=query, follow_redirects=False)
        assert "redirect_status=processing" in back.headers["location"]
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_a_wrong_amount_is_flagged_and_never_accepted(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    back = pay(confirmed, "wrong_amount")  # the payer pays 1 000 đồng less
    assert "redirect_status=processing" in back.headers["location"]
    assert post_ipn(api_url, ipn(confirmed.latest_attempt, AMOUNT + 1, trans_id=4_100_000_099)).status_code == 204
    assert eventually(lambda: attempt_flag(api_database_url, confirmed.latest_attempt),
                      lambda flag: flag is not None) == "amount_mismatch"
    time.sleep(2.5)  # the status query has looked too, and found the same wrong amount
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.REQUIRES_ACTION


def test_a_failure_after_a_success_changes_nothing(client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    assert post_ipn(api_url, ipn(confirmed.latest_attempt)).status_code == 204
    late_failure = ipn(confirmed.latest_attempt, trans_id=4_100_000_002, result_code=1006)
    assert post_ipn(api_url, late_failure).status_code == 204
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.SUCCEEDED
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1


def test_a_decline_returns_the_intent_to_the_payer(client, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    back = pay(confirmed, "decline")
    assert "redirect_status=failed" in back.headers["location"]
    after = wait_for_status(client, intent_id, Status.REQUIRES_PAYMENT_METHOD)
    assert after.last_payment_error.code == "1006"  # MoMo's "the payer refused"
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []


def test_without_a_callback_the_status_query_settles_it(client, api_database_url):
    """The wallet hangs (timeout), the payer closes the page: no IPN, no return."""
    intent_id, confirmed = awaiting(client, "momo")
    assert pay(confirmed, "timeout").status_code == 504
    assert wait_for_status(client, intent_id, Status.SUCCEEDED).status == Status.SUCCEEDED
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1


def test_five_copies_and_a_callback_hours_late_are_applied_once(client, api_url, api_database_url):
    five_id, five = awaiting(client, "momo")
    late_id, late = awaiting(client, "momo")
    acknowledged_before = sum(d["acknowledged"] for d in deliveries(api_url, "momo"))
    pay(five, "calls_back_five_times", follow=False)
    pay(late, "late", follow=False)  # and the payer never comes back from MoMo's page
    assert wait_for_status(client, five_id, Status.SUCCEEDED).status == Status.SUCCEEDED
    # The status query settles the late one long before its IPN arrives (3 h, scaled down).
    assert wait_for_status(client, late_id, Status.SUCCEEDED).status == Status.SUCCEEDED
    eventually(lambda: sum(d["acknowledged"] for d in deliveries(api_url, "momo")),
               lambda acknowledged: acknowledged >= acknowledged_before + 6, timeout_s=30)
    assert len(ledger_payments(api_database_url, five.latest_attempt)) == 1
    assert len(ledger_payments(api_database_url, late.latest_attempt)) == 1


def test_a_second_success_after_switching_to_card_is_refunded_and_flagged(client, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    # The payer leaves MoMo's page open, pays by card, then completes the MoMo payment too.
    client.v1.payment_intents.update(intent_id, params={"payment_method_types": ["momo", "card"]})
    assert client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"}).status == "succeeded"
    pay(confirmed, "success")
    assert eventually(lambda: attempt_flag(api_database_url, confirmed.latest_attempt),
                      lambda flag: flag is not None) == "second_success"
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    [refund] = settled_refunds(client, intent_id)
    assert (refund.amount, refund.automatic, refund.reason, refund.status) == (AMOUNT, True, "duplicate", "succeeded")


def test_a_success_after_cancel_is_refunded_and_flagged(client, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    assert client.v1.payment_intents.cancel(intent_id).status == Status.CANCELED
    pay(confirmed, "success")
    assert eventually(lambda: attempt_flag(api_database_url, confirmed.latest_attempt),
                      lambda flag: flag is not None) == "succeeded_after_cancel"
    [refund] = settled_refunds(client, intent_id)
    assert (refund.amount, refund.automatic, refund.status) == (AMOUNT, True, "succeeded")
    assert client.v1.payment_intents.retrieve(intent_id).status == Status.CANCELED


def test_an_agency_refund_goes_through_momo(client, api_database_url):
    intent_id, confirmed = awaiting(client, "momo")
    pay(confirmed, "success")
    wait_for_status(client, intent_id, Status.SUCCEEDED)
    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 50_000})
    [done] = settled_refunds(client, intent_id)
    assert (done.id, done.amount, done.status) == (refund.id, 50_000, "succeeded")
    assert refund_phases(api_database_url, refund.id) == [("pending", 50_000), ("post_pending", 50_000)]


def test_back_to_our_own_checkout_no_secret_rides_in_the_url(client, api_url):
    intent = create(client, payment_method_types=["momo"])
    own_page = f"{api_url}/pay/{intent.id}/return"
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"return_url": own_page})
    back = pay(confirmed, "success")
    assert back.headers["location"].startswith(f"{own_page}?payment_intent={intent.id}&")
    assert "secret" not in back.headers["location"]
