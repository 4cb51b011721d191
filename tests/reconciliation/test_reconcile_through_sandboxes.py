"""A business day end to end through the sandboxes: payments made through a real gateway
server (its sandboxes behind it), one of them paid at VNPAY but never called back about,
then ``publicpay reconcile`` with the providers' own settlement files, fetched through the
adapters or given as files. The lost payment is booked through the gateway's settling,
once, whatever runs or callbacks come after.

Each test has a server and a database of its own (the sandboxes' books are in memory, and
a day is reconciled from one file). The server queries quiet attempts only after a day
here, so that nothing but reconciliation can settle the payment whose callback was lost."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import psycopg
import pytest
import stripe
from typer.testing import CliRunner

from gateway.cli import app
from gateway.keys.model import Mode
from gateway.keys.store import create_key
from gateway.reconciling import book_paid
from providers.model import PaymentState, PaymentStatus
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.recovery import Recovered
from tests.conftest import empty_database, publicpay_environ
from tests.gateway.conftest import free_port, wait_until_ready
from tests.gateway.test_callbacks import ipn_url
from tests.gateway.test_confirm import RETURN_URL, create, ledger_payments

DAY = lambda: datetime.now(BUSINESS_TIME_ZONE).date().isoformat()  # noqa: E731 - the sandboxes' business day


@pytest.fixture
def day_database_url(server_url: str) -> Iterator[str]:
    with empty_database(server_url, "publicpay_day") as url:
        yield url


@pytest.fixture
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("day-home")


@pytest.fixture
def gateway_url(day_database_url: str, home: Path, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    environ = publicpay_environ({
        "PUBLICPAY_DATABASE_URL": day_database_url, "PUBLICPAY_HOME": str(home), "PUBLICPAY_LOG_LEVEL": "WARNING",
        "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001", "PUBLICPAY_ATTEMPT_QUERY_AFTER_MS": "86400000",
    })
    log = tmp_path_factory.mktemp("day-serve") / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "1"],
                                  env=environ, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, server, log)
        wait_for_sandboxes(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_for_sandboxes(url: str) -> None:
    """`publicpay serve` does not wait for its sandboxes' process: the proxy answers 502
    until that process listens."""
    for _ in range(300):
        if httpx.get(f"{url}/sandbox/card/settlement/{DAY()}").status_code == 200:
            return
        time.sleep(0.1)
    pytest.fail("the sandboxes did not start")


@pytest.fixture
def client(gateway_url: str, day_database_url: str) -> stripe.StripeClient:
    async def new_key() -> str:
        async with await psycopg.AsyncConnection.connect(day_database_url, autocommit=True) as conn:
            return (await create_key(conn, f"AG{uuid.uuid4().hex[:10].upper()}", Mode.TEST))[1]

    secret = in_thread(new_key())
    return stripe.StripeClient(secret, base_addresses={"api": gateway_url}, max_network_retries=0)


def reconcile(gateway_url: str, database_url: str, home: Path, *args: str, providers_file: Path | None = None):
    env = {"PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(home), "PUBLICPAY_PUBLIC_URL": gateway_url,
           "COLUMNS": "200"}
    if providers_file is not None:
        env["PUBLICPAY_PROVIDERS_FILE"] = str(providers_file)
    return CliRunner().invoke(app, ["reconcile", *args], env=env)


def pay_at_vnpay(client: stripe.StripeClient, scenario: str) -> tuple[str, str]:
    """A VNPAY payment the payer completes on the sandbox's page; the browser does not come
    back (its return would settle the attempt), so only VNPAY's IPN can tell us."""
    intent = create(client, payment_method_types=["vnpay"])
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})
    page_url = confirmed.next_action.redirect_to_url.url
    assert httpx.get(page_url, timeout=10).status_code == 200  # VNPAY opens the transaction
    paid = httpx.post(page_url.split("?")[0].replace("vpcpay.html", "pay"),
                      data={"txn_ref": confirmed.latest_attempt, "scenario": scenario}, timeout=10)
    assert paid.status_code in (302, 303), paid.text
    return intent.id, confirmed.latest_attempt


def events_of(client: stripe.StripeClient, intent_id: str, event_type: str) -> list:
    return [e for e in client.v1.events.list(params={"type": event_type, "limit": 100}).data
            if e.data.object["id"] == intent_id]


def in_thread(work):
    """Run a coroutine to its end on a loop of its own (pytest-asyncio may own this thread's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


async def book_paid_again(database_url: str, attempt_ref: str) -> Recovered | None:
    paid = PaymentStatus(attempt_ref=attempt_ref, state=PaymentState.SUCCEEDED, amount_minor=150_000, currency="VND")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        async with conn.transaction():
            return await book_paid(conn, "vnpay", attempt_ref, paid)


def count_transfers(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM ledger.transfers").fetchone()[0]


def test_a_lost_callback_is_recovered_through_the_gateway_once(gateway_url, day_database_url, home, client):
    card = client.v1.payment_intents.create(params={"amount": 120_000, "currency": "vnd"})
    assert client.v1.payment_intents.confirm(card.id, params={"payment_method": "pm_card_visa"}).status == "succeeded"
    called_back_id, called_back_ref = pay_at_vnpay(client, "success")
    lost_id, lost_ref = pay_at_vnpay(client, "never_calls_back")
    assert client.v1.payment_intents.retrieve(lost_id).status == "requires_action"
    assert ledger_payments(day_database_url, lost_ref) == []

    run = reconcile(gateway_url, day_database_url, home, "--date", DAY(), "--provider", "vnpay")
    assert run.exit_code == 0, run.output
    assert "completed" not in run.output and "recovered" in run.output  # no statement yet: awaiting it
    # The gateway's own settling: succeeded, booked once to the agency, announced once.
    assert client.v1.payment_intents.retrieve(lost_id).status == "succeeded"
    [(clearing, payable, amount)] = ledger_payments(day_database_url, lost_ref)
    assert (clearing, amount) == ("provider:vnpay:clearing", 150_000) and payable.endswith(":payable")
    assert len(events_of(client, lost_id, "payment_intent.succeeded")) == 1
    assert (home / "reconciliation" / "inbox" / "settlements" / "vnpay" / f"{DAY()}.csv").is_file()
    with psycopg.connect(day_database_url) as conn:
        classes = dict(conn.execute("SELECT attempt_ref, match_class FROM recon.matches").fetchall())
        recovered = conn.execute("SELECT attempt_ref FROM recon.recoveries").fetchall()
    assert classes[lost_ref] == classes[called_back_ref] == "matched" and recovered == [(lost_ref,)]

    transfers = count_transfers(day_database_url)
    again = reconcile(gateway_url, day_database_url, home, "--date", DAY(), "--provider", "vnpay")
    assert again.exit_code == 0, again.output
    assert count_transfers(day_database_url) == transfers
    # VNPAY's callback, arriving at last, is a duplicate: nothing more is booked or announced.
    assert httpx.get(ipn_url(gateway_url, lost_ref, 150_000, transaction_no="14999999")).json()["RspCode"] == "02"
    assert len(ledger_payments(day_database_url, lost_ref)) == 1
    assert len(events_of(client, lost_id, "payment_intent.succeeded")) == 1
    # Asked to book it again (a run racing a callback), the gateway finds it booked already;
    # a reference it never issued is not its to book.
    again_booked = in_thread(book_paid_again(day_database_url, lost_ref))
    assert again_booked.booked_now is False and len(again_booked.transfer_ids) == 1
    assert in_thread(book_paid_again(day_database_url, "PAnosuchattempt0000000000")) is None
    assert count_transfers(day_database_url) == transfers

    # The card acquirer's file, fetched the same way: the card payment is matched.
    card_run = reconcile(gateway_url, day_database_url, home, "--date", DAY(), "--provider", "card")
    assert card_run.exit_code == 0, card_run.output
    with psycopg.connect(day_database_url) as conn:
        card_classes = conn.execute("SELECT m.match_class FROM recon.matches m JOIN recon.runs r ON r.id = m.run_id"
                                    " WHERE r.provider = 'card'").fetchall()
    assert ("matched",) in card_classes and ("missing_in_ledger",) not in card_classes


def test_a_given_file_and_a_re_query_once_the_provider_answers(gateway_url, day_database_url, home, client,
                                                               tmp_path):
    lost_id, lost_ref = pay_at_vnpay(client, "never_calls_back")
    given = tmp_path / "vnpay.csv"
    given.write_bytes(httpx.get(f"{gateway_url}/sandbox/vnpay/settlement/{DAY()}").content)
    # VNPAY's merchant API out of reach while the day runs: the lost payment stays unproved.
    unreachable = tmp_path / "providers.json"
    unreachable.write_text(json.dumps({"vnpay": {"base_url": f"http://127.0.0.1:{free_port()}/sandbox/vnpay"}}))
    other_home = tmp_path / "home"
    run = reconcile(gateway_url, day_database_url, other_home, "--date", DAY(), "--provider", "vnpay",
                    "--settlement-file", str(given), providers_file=unreachable)
    assert run.exit_code == 0, run.output
    with psycopg.connect(day_database_url) as conn:
        [(exception_id,)] = conn.execute("SELECT id FROM recon.exceptions WHERE attempt_ref = %s"
                                         " AND match_class = 'missing_in_ledger'", (lost_ref,)).fetchall()
    assert client.v1.payment_intents.retrieve(lost_id).status == "requires_action"

    resolved = reconcile(gateway_url, day_database_url, other_home, "resolve", str(exception_id), "--action",
                         "re_query", "--actor", "lan", "--reason", "VNPAY answers again")
    assert resolved.exit_code == 0 and "resolved (re_query)" in resolved.output, resolved.output
    assert client.v1.payment_intents.retrieve(lost_id).status == "succeeded"
    assert len(ledger_payments(day_database_url, lost_ref)) == 1
    assert len(events_of(client, lost_id, "payment_intent.succeeded")) == 1


def test_a_wrong_amount_the_gateway_refused_is_reported_with_its_attempt(gateway_url, day_database_url, home, client):
    intent_id, ref = pay_at_vnpay(client, "wrong_amount")  # the payer pays 1 000 less than asked
    with psycopg.connect(day_database_url, autocommit=True) as conn:
        for _ in range(300):  # VNPAY's IPN flags the attempt and books nothing
            if conn.execute("SELECT flag FROM gateway.payment_attempts WHERE attempt_ref = %s",
                            (ref,)).fetchone() == ("amount_mismatch",):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the wrong amount's IPN never flagged the attempt")

    run = reconcile(gateway_url, day_database_url, home, "--date", DAY(), "--provider", "vnpay")
    assert run.exit_code == 0, run.output
    with psycopg.connect(day_database_url) as conn:
        [(match_class,)] = conn.execute("SELECT match_class FROM recon.matches WHERE attempt_ref = %s",
                                        (ref,)).fetchall()
        [(evidence,)] = conn.execute("SELECT evidence FROM recon.exceptions WHERE attempt_ref = %s", (ref,)).fetchall()
    assert match_class == "amount_mismatch_refused"
    assert evidence["line"]["amount_minor"] == 149_000 and evidence["ledger"] is None
    assert (evidence["attempt"]["amount_minor"], evidence["attempt"]["flag"]) == (150_000, "amount_mismatch")
    assert evidence["attempt"]["intent_id"] == intent_id
    assert ledger_payments(day_database_url, ref) == []
    assert client.v1.payment_intents.retrieve(intent_id).status != "succeeded"
