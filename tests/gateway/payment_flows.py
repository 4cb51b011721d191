"""What the end-to-end payment tests share: creating and following PaymentIntents through
the real server, sending a provider's message many times at once, acting as the payer at a
sandbox's page, and reading what the server recorded (ledger, attempts, sandbox deliveries,
its log)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
import stripe

from gateway.refunds.model import provider_refund_ref

RETURN_URL = "https://agency.example/done"
PATIENCE_S = 20  # the status-query job looks at a quiet attempt after 2 s, then every 0.2 s

T = TypeVar("T")


def create(client: stripe.StripeClient, **params) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(params={"amount": 150_000, "currency": "vnd", **params})


def awaiting(client: stripe.StripeClient, provider: str, amount: int = 150_000) -> tuple[str, stripe.PaymentIntent]:
    """An intent confirmed for ``provider``, waiting for the payer: its id and the confirmed intent."""
    intent = create(client, amount=amount, payment_method_types=[provider])
    return intent.id, client.v1.payment_intents.confirm(intent.id, params={"return_url": RETURN_URL})


def ledger_transfers(database_url: str, external_ref: str, kind: str = "payment") -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT d.code, c.code, t.amount FROM ledger.transfers t"
            " JOIN ledger.accounts d ON d.id = t.debit_account_id JOIN ledger.accounts c ON c.id = t.credit_account_id"
            " WHERE t.external_ref = %s AND t.kind = %s", (external_ref, kind)).fetchall()


def ledger_payments(database_url: str, attempt_ref: str) -> list[tuple]:
    return ledger_transfers(database_url, attempt_ref, "payment")


def refund_phases(database_url: str, refund_id: str) -> list[tuple[str, int]]:
    """The ledger's refund transfers under the refund's provider reference: reserved, then
    posted (or voided)."""
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT phase, amount FROM ledger.transfers WHERE external_ref = %s AND kind = 'refund'"
                            " ORDER BY seq", (provider_refund_ref(refund_id),)).fetchall()


def attempt_flag(database_url: str, attempt_ref: str) -> str | None:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT flag FROM gateway.payment_attempts WHERE attempt_ref = %s",
                            (attempt_ref,)).fetchone()[0]


def eventually(look: Callable[[], T], done: Callable[[T], bool], timeout_s: float = PATIENCE_S) -> T:
    """The first of ``look()``'s answers that is ``done``, or the last one after ``timeout_s``
    (for the test's assertion to report)."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen = look()
        if done(seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


def wait_for_status(client: stripe.StripeClient, intent_id: str, status: str,
                    timeout_s: float = PATIENCE_S) -> stripe.PaymentIntent:
    return eventually(lambda: client.v1.payment_intents.retrieve(intent_id), lambda i: i.status == status, timeout_s)


def settled_refunds(client: stripe.StripeClient, intent_id: str) -> list[stripe.Refund]:
    """The intent's refunds once none is pending (the refund job sends automatic ones)."""
    return eventually(lambda: client.v1.refunds.list(params={"payment_intent": intent_id}).data,
                      lambda refunds: bool(refunds) and all(r.status != "pending" for r in refunds))


def send_concurrently(method: str, url: str, copies: int, *, content: bytes = b"",
                      headers: Mapping[str, str] | None = None) -> list[httpx.Response]:
    """The same message ``copies`` times at once, as a provider retrying in parallel would."""
    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as http:
            return await asyncio.gather(*(http.request(method, url, content=content, headers=headers)
                                          for _ in range(copies)))

    return asyncio.run(send_all())


def pay_at_sandbox(browser: httpx.Client, form_url: str, fields: Mapping[str, str], scenario: str) -> httpx.Response:
    """The payer chooses ``scenario`` on a sandbox's payment page (reached through the
    gateway's /sandbox/ proxy) and submits it."""
    return browser.post(form_url, data={**fields, "scenario": scenario}, follow_redirects=False)


def deliveries(api_url: str, provider: str, url_part: str = "") -> list[dict]:
    """The sandbox's log of callback deliveries (optionally only to URLs containing ``url_part``)."""
    answer = httpx.get(f"{api_url}/sandbox/{provider}/_sandbox/deliveries", timeout=10)
    return [d for d in answer.json() if url_part in d["url"]]


def logged(server_log: Path, *words: str) -> bool:
    """Whether one line of the server's log holds every one of ``words``."""
    return any(all(word in line for word in words) for line in server_log.read_text().splitlines())
