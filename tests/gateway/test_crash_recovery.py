"""The gateway killed with SIGKILL, several times, under steady payment and callback load,
and restarted: afterwards every payment a provider completed has succeeded exactly once,
the ledger's invariants hold, every event reached the agency's webhook endpoint, and
reconciling the day against the providers' own settlement files finds nothing wrong.

The sandboxes run in a process of their own (PUBLICPAY_SANDBOX_URL), so that, like real
providers, they outlive the gateway: their callbacks to a dead gateway are retried, and
what they never get through is found by the status-query job."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
import pytest
import stripe

from gateway.demo.webhook_receiver import webhook_receiver
from gateway.keys.model import Mode
from gateway.keys.store import create_key
from ledger.store import verify_ledger
from reconciliation.matching import BUSINESS_TIME_ZONE
from tests.conftest import publicpay_environ
from tests.gateway.conftest import free_port, wait_until_ready
from tests.gateway.payment_flows import RETURN_URL, create, eventually

KILLS = 3
LOAD_THREADS = 4
QUIET_TIMEOUT_S = 90
VNPAY_SCENARIOS = ["success", "success", "calls_back_five_times", "never_calls_back", "late", "decline"]


class Gateway:
    """`publicpay serve` in a process group of its own, killed and started again at will."""

    def __init__(self, environ: dict[str, str], port: int, log: Path) -> None:
        self.environ, self.port, self.log = environ, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "serve", "--port", str(self.port), "--workers", "2"],
                env=self.environ, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until_ready(self.url, self.process, self.log)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def pay_steadily(url: str, secret: str, worker: int, stop: threading.Event) -> None:
    """A citizen after another pays by card or through VNPAY's page; whatever fails while
    the gateway is down is left as a real payer would leave it."""
    client = stripe.StripeClient(secret, base_addresses={"api": url}, max_network_retries=0)
    for turn in itertools.count():
        if stop.is_set():
            return
        try:
            if (turn + worker) % 2:
                intent = create(client, payment_method_types=["card"])
                client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
            else:
                intent = create(client, payment_method_types=["vnpay"])
                confirmed = client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})
                page_url = confirmed.next_action.redirect_to_url.url
                with httpx.Client(timeout=10) as browser:
                    browser.get(page_url).raise_for_status()  # the sandbox learns of the order from it
                    browser.post(page_url.split("?")[0].replace("vpcpay.html", "pay"), follow_redirects=False,
                                 data={"txn_ref": confirmed.latest_attempt, "scenario": random.choice(VNPAY_SCENARIOS)})
        except (stripe.StripeError, httpx.HTTPError):
            time.sleep(0.05)  # the gateway is down or restarting


def unsettled(database_url: str) -> tuple[int, int]:
    """Attempts still waiting for their provider's word, and webhook deliveries not yet made."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM gateway.payment_attempts WHERE status = 'pending'),"
            " (SELECT count(*) FROM gateway.webhook_deliveries WHERE status <> 'succeeded')").fetchone()


@pytest.fixture
def receiver():
    """The agency's webhook endpoint: it checks each delivery's signature and keeps its event."""
    with webhook_receiver() as (url, received):
        yield url, received


def test_killing_the_gateway_under_load_loses_and_doubles_nothing(database_url, tmp_path, receiver):
    port, sandbox_port = free_port(), free_port()
    # A payer who opened VNPAY's page while the gateway was down never pays: the order
    # expires (in seconds here, not VNPAY's 15 minutes) and the status query fails it.
    providers_file = tmp_path / "providers.json"
    providers_file.write_text(json.dumps({"vnpay": {"expire_after_s": 3}}))
    environ = publicpay_environ({
        "PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(tmp_path), "PUBLICPAY_LOG_LEVEL": "WARNING",
        "PUBLICPAY_PUBLIC_URL": f"http://127.0.0.1:{port}", "PUBLICPAY_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001", "PUBLICPAY_ATTEMPT_QUERY_AFTER_MS": "2000",
        "PUBLICPAY_STATUS_POLL_MS": "200", "PUBLICPAY_WEBHOOK_RETRY_BASE_MS": "200", "PUBLICPAY_WEBHOOK_POLL_MS": "100",
        "PUBLICPAY_WEBHOOK_TIMEOUT_MS": "2000", "PUBLICPAY_API_RATE_LIMIT_PER_SECOND": "100000",
        "PUBLICPAY_PROVIDERS_FILE": str(providers_file), "PUBLICPAY_RECONCILIATION_AT": "off"})
    sandboxes = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "gateway.sandbox_server:sandboxes_from_environment", "--factory",
         "--port", str(sandbox_port), "--log-level", "warning"], env=environ)
    gateway = Gateway(environ, port, tmp_path / "serve.log")
    first_day = datetime.now(BUSINESS_TIME_ZONE).date()
    try:
        gateway.start()
        secret = asyncio.run(_new_key(database_url))
        client = stripe.StripeClient(secret, base_addresses={"api": gateway.url}, max_network_retries=0)
        receiver_url, received = receiver
        endpoint = client.v1.webhook_endpoints.create(params={"url": f"{receiver_url}/webhooks/BCA",
                                                              "enabled_events": ["*"]})
        received.secrets["BCA"] = endpoint.secret

        stop = threading.Event()
        payers = [threading.Thread(target=pay_steadily, args=(gateway.url, secret, n, stop)) for n in range(LOAD_THREADS)]
        for payer in payers:
            payer.start()
        try:
            for _ in range(KILLS):
                time.sleep(random.uniform(1.5, 4.0))
                gateway.kill()
                time.sleep(random.uniform(0.1, 1.0))
                gateway.start()
            time.sleep(2)
        finally:
            stop.set()
            for payer in payers:
                payer.join(timeout=60)

        assert eventually(lambda: unsettled(database_url), lambda left: left == (0, 0), QUIET_TIMEOUT_S) == (0, 0)
        with psycopg.connect(database_url) as conn:
            # Each succeeded intent booked its amount once; no other intent booked anything.
            booked = conn.execute("""
                SELECT i.id, i.status, i.amount_minor, coalesce(sum(t.amount), 0)
                  FROM gateway.payment_intents i
                  LEFT JOIN gateway.payment_attempts a ON a.intent_id = i.id AND a.agency_code = i.agency_code
                  LEFT JOIN ledger.transfers t ON t.external_ref = a.attempt_ref AND t.kind = 'payment'
                 GROUP BY i.id, i.status, i.amount_minor""").fetchall()
            events = {row[0] for row in conn.execute(
                "SELECT id FROM gateway.events WHERE created_at >= (SELECT created_at FROM gateway.webhook_endpoints)")}
        succeeded = [row for row in booked if row[1] == "succeeded"]
        assert len(succeeded) >= 10, "the load paid too little to prove anything"
        assert all(paid == amount for _, _, amount, paid in succeeded)
        assert all(paid == 0 for _, status, _, paid in booked if status != "succeeded")
        assert asyncio.run(_ledger_problems(database_url)) == []
        assert events <= received.event_ids["BCA"]

        days = sorted({first_day, datetime.now(BUSINESS_TIME_ZONE).date()})  # one, unless midnight passed
        for provider, day in itertools.product(("card", "vnpay"), days):
            reconciled = subprocess.run([sys.executable, "-m", "gateway", "reconcile", "--date", day.isoformat(),
                                         "--provider", provider], env=environ, capture_output=True, text=True,
                                        timeout=120)
            assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
        with psycopg.connect(database_url) as conn:
            counts = conn.execute("SELECT provider, counts FROM recon.runs").fetchall()
            open_exceptions = conn.execute("SELECT match_class, attempt_ref, evidence FROM recon.exceptions").fetchall()
        assert open_exceptions == [], counts
        # Every line the providers settled was in the ledger already: nothing was left for
        # reconciliation to recover.
        assert all(run.get("matched", 0) == run["lines"] for _, run in counts), counts
        assert {provider for provider, run in counts if run["lines"]} == {"card", "vnpay"}, counts
    finally:
        if gateway.process and gateway.process.poll() is None:
            gateway.stop()
        sandboxes.terminate()
        sandboxes.wait(timeout=30)


async def _new_key(database_url: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        return (await create_key(conn, "BCA", Mode.TEST))[1]


async def _ledger_problems(database_url: str) -> list:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        return await verify_ledger(conn)
