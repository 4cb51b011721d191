"""A payer who leaves without paying: the attempt ends when its provider's order expires,
through the real status-query job, for every provider that keeps the payer waiting. A
server of its own, whose providers' orders expire in seconds (VNPAY, VietQR) or in one
minute (MoMo counts whole minutes), instead of fifteen minutes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import stripe

from gateway.keys.model import Mode
from gateway.keys.store import create_key
from gateway.payments.model import Status
from tests.conftest import empty_database, publicpay_environ
from tests.gateway.conftest import free_port, wait_until_ready
from tests.gateway.payment_flows import awaiting, eventually, ledger_payments, wait_for_status
from tests.gateway.test_vietqr_gateway_flow import qr_of

EXPIRE_AFTER_S = 4
# The job's own pace on this server: a quiet attempt is queried after 1 s, then each second.
QUERY_AFTER_MS = 1000
# MoMo's minute is a real one here, plus the query's period and a loaded machine's delays.
MOMO_PATIENCE_S = 60 + 60


@pytest.fixture(scope="module")
def expiring_server(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The server's URL and database."""
    home = tmp_path_factory.mktemp("expiring")
    providers_file = home / "providers.json"
    providers_file.write_text(json.dumps({"vnpay": {"expire_after_s": EXPIRE_AFTER_S},
                                          "vietqr": {"expire_after_s": EXPIRE_AFTER_S},
                                          "momo": {"order_expire_minutes": 1}}))
    port, log = free_port(), home / "serve.log"
    with empty_database(server_url, "publicpay_expiring") as database_url:
        environ = publicpay_environ({
            "PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(home), "PUBLICPAY_LOG_LEVEL": "WARNING",
            "PUBLICPAY_PROVIDERS_FILE": str(providers_file), "PUBLICPAY_RECONCILIATION_AT": "off",
            "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001", "PUBLICPAY_ATTEMPT_QUERY_AFTER_MS": str(QUERY_AFTER_MS),
            "PUBLICPAY_STATUS_POLL_MS": "200", "PUBLICPAY_API_RATE_LIMIT_PER_SECOND": "100000"})
        with open(log, "wb") as output:
            server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port),
                                       "--workers", "1"], env=environ, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(url, server, Path(log))
            yield url, database_url
        finally:
            server.terminate()
            server.wait(timeout=30)


@pytest.fixture
def client(expiring_server: tuple[str, str], agency: str) -> stripe.StripeClient:
    url, database_url = expiring_server

    async def new_key() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            return (await create_key(conn, agency, Mode.TEST))[1]

    return stripe.StripeClient(asyncio.run(new_key()), base_addresses={"api": url}, max_network_retries=0)


def failed_events(client: stripe.StripeClient, intent_id: str) -> list[str]:
    return [e.data.object.last_payment_error.code
            for e in client.v1.events.list(params={"type": "payment_intent.payment_failed"}).data
            if e.data.object.id == intent_id]


def test_every_providers_abandoned_attempt_ends_as_expired(client, expiring_server):
    _, database_url = expiring_server
    left = {}
    for provider in ("momo", "vnpay", "vietqr"):
        intent_id, confirmed = awaiting(client, provider)
        left[provider] = intent_id, confirmed.latest_attempt
        if provider != "vietqr":  # the payer opens the provider's page, then leaves
            assert httpx.get(confirmed.next_action.redirect_to_url.url, timeout=30).status_code == 200
    for provider, (intent_id, attempt_ref) in left.items():
        patience_s = MOMO_PATIENCE_S if provider == "momo" else 30
        ended = wait_for_status(client, intent_id, Status.REQUIRES_PAYMENT_METHOD, patience_s)
        assert (provider, ended.status, ended.last_payment_error.code) == (
            provider, Status.REQUIRES_PAYMENT_METHOD, "expired")
        assert failed_events(client, intent_id) == ["expired"]
        assert ledger_payments(database_url, attempt_ref) == []


def test_an_unopened_vnpay_order_waits_for_its_expiry(client):
    """VNPAY has not seen an order whose page was never opened: the payer may still open it
    until vnp_ExpireDate, so the job leaves it pending until then."""
    intent_id, _ = awaiting(client, "vnpay")
    early = eventually(lambda: client.v1.payment_intents.retrieve(intent_id).status,
                       lambda status: status != Status.REQUIRES_ACTION, EXPIRE_AFTER_S - 1.5)
    assert early == Status.REQUIRES_ACTION
    ended = wait_for_status(client, intent_id, Status.REQUIRES_PAYMENT_METHOD, 30)
    assert ended.last_payment_error.code == "expired"


def test_a_transfer_after_the_qr_expired_still_pays_the_open_intent(client, expiring_server):
    url, database_url = expiring_server
    intent_id, confirmed = awaiting(client, "vietqr")
    assert wait_for_status(client, intent_id, Status.REQUIRES_PAYMENT_METHOD, 30).last_payment_error.code == "expired"
    with httpx.Client(timeout=30) as app:  # the QR was still on the payer's screen
        sent = app.post(f"{url}/sandbox/vietqr/transfer", data={"payload": qr_of(confirmed), "scenario": "success"})
    assert sent.status_code == 200
    assert wait_for_status(client, intent_id, Status.SUCCEEDED, 30).amount_received == confirmed.amount
    assert len(ledger_payments(database_url, confirmed.latest_attempt)) == 1
