"""Confirming PaymentIntents through the real server and the sandbox providers: Stripe's
test cards, a redirect provider's page and signed callback, and the ledger afterwards."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import stripe

from tests.gateway.payment_flows import RETURN_URL, create, ledger_payments, wait_for_status


def test_visa_succeeds_and_books_the_payment_once(client, agency, api_database_url):
    intent = create(client)
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert (confirmed.status, confirmed.amount_received, confirmed.payment_method) == ("succeeded", 150_000,
                                                                                         "pm_card_visa")
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == [
        ("provider:card:clearing", f"agency:test:{agency}:payable", 150_000)]
    # The acquirer's webhook for the same payment arrives too, and changes nothing.
    time.sleep(0.5)
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    events = client.v1.events.list(params={"type": "payment_intent.succeeded"})
    assert [event.data.object.id for event in events.data] == [intent.id]


@pytest.mark.parametrize(("payment_method", "decline_code"), [
    ("pm_card_chargeDeclined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
])
def test_declined_card_answers_402_and_leaves_the_error_on_the_intent(client, payment_method, decline_code):
    intent = create(client)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": payment_method})
    assert declined.value.http_status == 402
    assert (declined.value.code, declined.value.error.decline_code) == ("card_declined", decline_code)
    assert declined.value.error.payment_intent.id == intent.id
    after = client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert (after.last_payment_error.code, after.last_payment_error.decline_code) == ("card_declined", decline_code)
    # The payer tries another card: the same intent succeeds.
    assert client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}).status == "succeeded"


def test_confirm_refuses_what_cannot_be_paid(client):
    intent = create(client, payment_method_types=["vnpay"])
    with pytest.raises(stripe.InvalidRequestError) as no_return:
        client.v1.payment_intents.confirm(intent.id)
    assert no_return.value.param == "return_url"
    with pytest.raises(stripe.InvalidRequestError) as not_allowed:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert not_allowed.value.param == "payment_method"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_vnpay_redirect_then_signed_ipn_settles_the_payment(client, agency, api_database_url):
    intent = create(client, payment_method_types=["vnpay"])
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})
    assert confirmed.status == "requires_action"
    assert confirmed.next_action.type == "redirect_to_url"
    page_url = confirmed.next_action.redirect_to_url.url
    assert "vnp_SecureHash=" in page_url
    with httpx.Client(timeout=10) as browser:
        page = browser.get(page_url)
        assert page.status_code == 200
        # The payer pays on the sandbox's page; VNPAY sends its IPN and the browser back.
        pay = browser.post(page_url.split("?")[0].replace("vpcpay.html", "pay"),
                           data={"txn_ref": confirmed.latest_attempt, "scenario": "success"}, follow_redirects=False)
        assert pay.status_code in (302, 303), pay.text
        back = browser.get(pay.headers["location"], follow_redirects=False)
    assert back.status_code in (302, 303)
    assert back.headers["location"].startswith(f"{RETURN_URL}?payment_intent={intent.id}&")
    assert "redirect_status=succeeded" in back.headers["location"]
    assert wait_for_status(client, intent.id, "succeeded").status == "succeeded"
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == [
        ("provider:vnpay:clearing", f"agency:test:{agency}:payable", 150_000)]


def test_more_confirms_at_once_than_pooled_connections_all_complete(api_url, secret, client):
    """Each confirm holds its request's connection while it records its attempt on another:
    a burst larger than the pool must queue, not leave every request waiting for a second
    connection that no one returns."""
    intents = [create(client).id for _ in range(60)]  # 30 a worker, above its pool of 20

    async def confirm_all() -> list[int]:
        async with httpx.AsyncClient(base_url=api_url, auth=(secret, ""), timeout=60) as http:
            answers = await asyncio.gather(*(
                http.post(f"/v1/payment_intents/{intent_id}/confirm", data={"payment_method": "pm_card_visa"})
                for intent_id in intents))
        return [answer.status_code for answer in answers]

    assert asyncio.run(confirm_all()) == [200] * len(intents)
    assert {client.v1.payment_intents.retrieve(i).status for i in intents} == {"succeeded"}
