"""In live mode (PUBLICPAY_MODE=live) a test key's payments and refunds go to the providers'
sandboxes, never to a real provider, and a live key's to the real provider.

A real `publicpay serve` in live mode, whose card acquirer is a stand-in on a port of its
own: the card sandbox's app, with keys of its own as a live account has, named in the
providers file. What each side holds afterwards shows where every payment and refund went."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest
import stripe
import uvicorn

from gateway.keys.model import Mode
from providers.card.config import CardConfig
from providers.card.sandbox import CardSandbox, create_sandbox_app
from providers.vietqr.notification import SIGNATURE_HEADER, sign_body
from tests.conftest import empty_database, publicpay_environ
from tests.gateway.conftest import free_port, secret_in, wait_until_ready
from tests.gateway.payment_flows import RETURN_URL, deliveries, ledger_payments, logged, pay_at_sandbox, wait_for_status
from tests.gateway.test_forged_callbacks import card_event, card_signed
from tests.gateway.test_vietqr_gateway_flow import AMOUNT, notification, suspense, transfer
from tests.gateway.test_vietqr_gateway_flow import CONFIG as SANDBOX_BANK

AGENCY = "BTP"
SANDBOX_CARD_KEY = CardConfig().secret_key  # what the gateway's own card sandbox takes
# The real VNPAY and bank sign with secrets of their own (never reached here: no live payment
# goes to them), so a sandbox's message does not verify on their live route.
LIVE_CREDENTIALS = {
    "vnpay": {"tmn_code": "LIVETMN1", "hash_secret": "the-live-terminals-own-hash-secret",
              "base_url": "http://127.0.0.1:9/vnpay"},
    "momo": {"partner_code": "MOMOLIVE", "access_key": "the-live-partners-own-access-key",
             "secret_key": "the-live-partners-own-secret-key", "base_url": "http://127.0.0.1:9/momo"},
    "vietqr": {"account_number": "9990001112223", "webhook_secret": "the-live-banks-own-webhook-secret",
               "api_key": "the-live-banks-own-api-key", "base_url": "http://127.0.0.1:9/vietqr"},
}


class LiveGateway:
    def __init__(self, url: str, database_url: str, acquirer: CardSandbox, log: Path) -> None:
        self.url, self.database_url, self.acquirer, self.log = url, database_url, acquirer, log

    def client(self, mode: Mode) -> stripe.StripeClient:
        return stripe.StripeClient(secret_in(self.database_url, AGENCY, mode), base_addresses={"api": self.url})

    def attempt_ref(self, intent_id: str) -> str:
        with psycopg.connect(self.database_url) as conn:
            [(ref,)] = conn.execute("SELECT attempt_ref FROM gateway.payment_attempts WHERE intent_id = %s",
                                    (intent_id,)).fetchall()
            return ref

    def at_the_sandbox(self, attempt_ref: str) -> list[dict]:
        """The card sandbox's PaymentIntents for an attempt of ours."""
        answer = httpx.get(f"{self.url}/sandbox/card/v1/payment_intents/search",
                           params={"query": f"metadata['attempt_ref']:'{attempt_ref}'"},
                           headers={"Authorization": f"Bearer {SANDBOX_CARD_KEY}"}, timeout=20)
        answer.raise_for_status()
        return answer.json()["data"]

    def refunds_at_the_sandbox(self, provider_intent_id: str) -> list[dict]:
        answer = httpx.get(f"{self.url}/sandbox/card/v1/refunds", params={"payment_intent": provider_intent_id},
                           headers={"Authorization": f"Bearer {SANDBOX_CARD_KEY}"}, timeout=20)
        answer.raise_for_status()
        return answer.json()["data"]


def serve_in_thread(app, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


@pytest.fixture(scope="module")
def live_gateway(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    gateway_port, acquirer_port = free_port(), free_port()
    acquirer_config = CardConfig(secret_key="sk_live_stand_in_acquirer", webhook_secret="whsec_live_stand_in",
                                 base_url=f"http://127.0.0.1:{acquirer_port}")
    acquirer_app = create_sandbox_app(acquirer_config, webhook_url=f"http://127.0.0.1:{gateway_port}/callbacks/card")
    acquirer, acquirer_thread = serve_in_thread(acquirer_app, acquirer_port)
    home = tmp_path_factory.mktemp("live-home")
    providers_file = home / "providers.json"
    providers_file.write_text(json.dumps({"card": msgspec.to_builtins(acquirer_config), **LIVE_CREDENTIALS}))
    log = home / "serve.log"
    with empty_database(server_url, "publicpay_live") as database_url:
        environ = publicpay_environ({
            "PUBLICPAY_MODE": "live", "PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(home),
            "PUBLICPAY_PROVIDERS_FILE": str(providers_file), "PUBLICPAY_LOG_LEVEL": "WARNING",
            "PUBLICPAY_RECONCILIATION_AT": "off", "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001"})
        with open(log, "wb") as output:
            server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(gateway_port)],
                                      env=environ, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(f"http://127.0.0.1:{gateway_port}", server, log)
            yield LiveGateway(f"http://127.0.0.1:{gateway_port}", database_url, acquirer_app.state.sandbox, log)
        finally:
            server.terminate()
            server.wait(timeout=30)
            acquirer.should_exit = True
            acquirer_thread.join(timeout=30)


def pay_and_refund(client: stripe.StripeClient) -> stripe.PaymentIntent:
    intent = client.v1.payment_intents.create(params={"amount": 50_000, "currency": "vnd"})
    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    assert client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 20_000}).status == "succeeded"
    return paid


def test_a_test_key_pays_and_refunds_at_the_sandbox_a_live_key_at_the_real_provider(live_gateway) -> None:
    acquirer = live_gateway.acquirer
    paid_in_test = pay_and_refund(live_gateway.client(Mode.TEST))
    assert acquirer.intents == {} and acquirer.refunds == []  # the real acquirer never heard of it
    [at_sandbox] = live_gateway.at_the_sandbox(live_gateway.attempt_ref(paid_in_test.id))
    assert (at_sandbox["amount"], at_sandbox["status"]) == (50_000, "succeeded")
    assert [refund["amount"] for refund in live_gateway.refunds_at_the_sandbox(at_sandbox["id"])] == [20_000]

    paid_live = pay_and_refund(live_gateway.client(Mode.LIVE))
    live_ref = live_gateway.attempt_ref(paid_live.id)
    [at_acquirer] = acquirer.intents.values()
    assert (at_acquirer.metadata["attempt_ref"], at_acquirer.amount, at_acquirer.status) == (live_ref, 50_000,
                                                                                              "succeeded")
    assert [(refund.payment_intent, refund.amount) for refund in acquirer.refunds] == [(at_acquirer.id, 20_000)]
    assert live_gateway.at_the_sandbox(live_ref) == []


def events_recorded(database_url: str, attempt_ref: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT provider, event_key, answer FROM gateway.provider_events WHERE attempt_ref = %s",
                            (attempt_ref,)).fetchall()


def confirmed_in_test_mode(live_gateway: LiveGateway, provider: str) -> tuple[stripe.StripeClient,
                                                                               stripe.PaymentIntent]:
    client = live_gateway.client(Mode.TEST)
    intent = client.v1.payment_intents.create(params={"amount": 150_000, "currency": "vnd",
                                                      "payment_method_types": [provider]})
    return client, client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})


def settled_by_the_sandboxs_callback(live_gateway: LiveGateway, client: stripe.StripeClient,
                                     confirmed: stripe.PaymentIntent, provider: str) -> None:
    """The payment succeeds, booked once, through the sandbox's callback on the test route:
    the status query would wait 15 minutes (PUBLICPAY_ATTEMPT_QUERY_AFTER_MS's default)."""
    assert wait_for_status(client, confirmed.id, "succeeded").status == "succeeded"
    ref = confirmed.latest_attempt
    assert len(ledger_payments(live_gateway.database_url, ref)) == 1
    [(recorded_by, event_key, answer)] = events_recorded(live_gateway.database_url, ref)
    assert (recorded_by, event_key.startswith("test:"), answer) == (provider, True, "accepted")
    delivered_to = {delivery["url"].split("?")[0] for delivery in deliveries(live_gateway.url, provider)}
    assert delivered_to == {f"{live_gateway.url}/callbacks/test/{provider}"}


def test_a_test_mode_redirect_payment_settles_through_the_sandboxs_callback(live_gateway) -> None:
    client, confirmed = confirmed_in_test_mode(live_gateway, "vnpay")
    page_url = confirmed.next_action.redirect_to_url.url
    with httpx.Client(timeout=30) as browser:  # the payer pays and does not come back: only the IPN tells
        assert browser.get(page_url).status_code == 200
        paid = pay_at_sandbox(browser, page_url.split("?")[0].replace("vpcpay.html", "pay"),
                              {"txn_ref": confirmed.latest_attempt}, "success")
    assert paid.status_code in (302, 303), paid.text
    settled_by_the_sandboxs_callback(live_gateway, client, confirmed, "vnpay")


def test_a_test_mode_vietqr_payment_settles_through_the_sandboxs_callback(live_gateway) -> None:
    client, confirmed = confirmed_in_test_mode(live_gateway, "vietqr")
    assert transfer(live_gateway.url, confirmed)[0] == 200
    settled_by_the_sandboxs_callback(live_gateway, client, confirmed, "vietqr")


def test_a_test_mode_callback_never_settles_a_live_attempt(live_gateway) -> None:
    """The sandboxes' secrets are public: a message signed with one, naming a live attempt
    (here one the acquirer declined, which a verified success would book), is refused on the
    test route as the provider's order-not-found and logged, and changes nothing."""
    live = live_gateway.client(Mode.LIVE)
    intent = live.v1.payment_intents.create(params={"amount": 150_000, "currency": "vnd"})
    with pytest.raises(stripe.CardError):
        live.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    ref = live_gateway.attempt_ref(intent.id)
    with psycopg.connect(live_gateway.database_url) as conn:
        [(provider_ref,)] = conn.execute("SELECT provider_ref FROM gateway.payment_attempts WHERE attempt_ref = %s",
                                         (ref,)).fetchall()
    forged = card_event(ref, provider_ref)  # a success, signed with the card sandbox's own secret
    headers = {"content-type": "application/json", "stripe-signature": card_signed(forged)}
    events_before = events_recorded(live_gateway.database_url, ref)

    answer = httpx.post(f"{live_gateway.url}/callbacks/test/card", content=forged, headers=headers, timeout=30)
    assert (answer.status_code, answer.json()) == (200, {"received": True})  # the acquirer's answer to any event
    assert logged(live_gateway.log, "test-mode callback", "refused", ref)
    # And on the live route the sandbox's signature is no signature.
    on_the_live_route = httpx.post(f"{live_gateway.url}/callbacks/card", content=forged, headers=headers, timeout=30)
    assert on_the_live_route.status_code == 400

    assert live.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
    assert ledger_payments(live_gateway.database_url, ref) == []
    assert events_recorded(live_gateway.database_url, ref) == events_before
    with psycopg.connect(live_gateway.database_url) as conn:
        assert conn.execute("SELECT status, flag FROM gateway.payment_attempts WHERE attempt_ref = %s",
                            (ref,)).fetchone() == ("failed", None)


def test_money_the_sandbox_bank_says_arrived_is_never_booked_to_the_live_suspense(live_gateway) -> None:
    """Whoever reads the sandbox bank's secret here can sign its notifications: on the test
    route a wrong amount for a test-mode attempt flags it as the live route would, and a
    credit naming no attempt is refused, but neither books money that never moved into the
    ledger's suspense (the live route books a real bank's such credits there)."""
    client, confirmed = confirmed_in_test_mode(live_gateway, "vietqr")
    ref = confirmed.latest_attempt

    def notify(body: bytes) -> httpx.Response:
        return httpx.post(f"{live_gateway.url}/callbacks/test/vietqr", content=body, timeout=30,
                          headers={"content-type": "application/json",
                                   SIGNATURE_HEADER: sign_body(body, SANDBOX_BANK.webhook_secret)})

    wrong, unnamed = notification(ref, AMOUNT + 1_000), notification("chuyen tien hoc phi")
    assert notify(wrong).status_code == 200 and notify(unnamed).status_code == 200
    assert [suspense(live_gateway.database_url, json.loads(body)["transactionId"]) for body in (wrong, unnamed)] \
        == [[], []]
    with psycopg.connect(live_gateway.database_url) as conn:
        assert conn.execute("SELECT status, flag FROM gateway.payment_attempts WHERE attempt_ref = %s",
                            (ref,)).fetchone() == ("pending", "amount_mismatch")
        assert conn.execute("SELECT count(*) FROM gateway.provider_events WHERE event_key = %s",
                            ("test:" + json.loads(unnamed)["transactionId"],)).fetchone() == (0,)
    assert client.v1.payment_intents.retrieve(confirmed.id).status == "requires_action"
    assert logged(live_gateway.log, "test-mode callback", json.loads(unnamed)["transactionId"], "refused")
