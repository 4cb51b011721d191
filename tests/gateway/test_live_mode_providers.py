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

import httpx
import msgspec
import psycopg
import pytest
import stripe
import uvicorn

from gateway.keys.model import Mode
from providers.card.config import CardConfig
from providers.card.sandbox import CardSandbox, create_sandbox_app
from tests.conftest import empty_database, publicpay_environ
from tests.gateway.conftest import free_port, secret_in, wait_until_ready

AGENCY = "BTP"
SANDBOX_CARD_KEY = CardConfig().secret_key  # what the gateway's own card sandbox takes


class LiveGateway:
    def __init__(self, url: str, database_url: str, acquirer: CardSandbox) -> None:
        self.url, self.database_url, self.acquirer = url, database_url, acquirer

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
    providers_file.write_text(json.dumps({"card": msgspec.to_builtins(acquirer_config)}))
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
            yield LiveGateway(f"http://127.0.0.1:{gateway_port}", database_url, acquirer_app.state.sandbox)
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
