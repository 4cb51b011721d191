"""A VietQR credit found by the status-query job (its notification lost, or not yet come) is
applied exactly as the bank's notification is: a credit for another amount than the QR
asked goes to suspense and flags the attempt, whichever of the two finds it first, and
the other one changes nothing. Through the real server, its job and its sandbox bank."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import msgspec
import psycopg
import stripe

from gateway.payments.model import Status
from providers.vietqr.notification import CreditNotification
from tests.gateway.payment_flows import PATIENCE_S, attempt_flag, awaiting, eventually, ledger_payments
from tests.gateway.test_vietqr_gateway_flow import AMOUNT, CONFIG, notify, qr_of, suspense

TYPED_MINOR = AMOUNT - 10_000  # the payer changed the QR's amount in their banking app


def send_another_amount(api_url: str, confirmed: stripe.PaymentIntent, scenario: str) -> str:
    """The payer sends TYPED_MINOR for the QR: the bank's transaction id."""
    with httpx.Client(timeout=30) as app:
        done = app.post(f"{api_url}/sandbox/vietqr/transfer", data={
            "payload": qr_of(confirmed), "scenario": scenario, "amount": str(TYPED_MINOR)})
    assert done.status_code == 200, done.text
    return re.search(r"FT[0-9]+", done.text).group(0)


def bank_credit(api_url: str, reference: str) -> bytes:
    """The credit as the bank's notification carries it, read from the bank's account API."""
    found = httpx.post(f"{api_url}/sandbox/vietqr/api/v1/transactions/search", json={"reference": reference},
                       headers={"authorization": f"Bearer {CONFIG.api_key}"}, timeout=30)
    [credit] = msgspec.convert(found.json()["transactions"], list[CreditNotification])
    return msgspec.json.encode(credit)


def queried_at(database_url: str, attempt_ref: str) -> float:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT extract(epoch FROM queried_at) FROM gateway.payment_attempts"
                           " WHERE attempt_ref = %s", (attempt_ref,)).fetchone()
    return float(row[0] or 0)


def outcome(client: stripe.StripeClient, database_url: str, intent_id: str, attempt_ref: str,
            transaction_id: str) -> tuple:
    """What the credit did: the ledger's transfers for it and for the attempt, the attempt's
    flag, the intent's status, the events the agency got, and the provider events recorded
    (read first, and last in the tuple: once it shows, the rest has committed with it)."""
    with psycopg.connect(database_url) as conn:
        recorded = conn.execute("SELECT event_key, attempt_ref, answer FROM gateway.provider_events WHERE"
                                " provider = 'vietqr' AND event_key = %s", (f"vietqr:{transaction_id}",)).fetchall()
    events = sorted(e.type for e in client.v1.events.list(params={"limit": 100}).data)
    return (suspense(database_url, transaction_id), ledger_payments(database_url, attempt_ref),
            attempt_flag(database_url, attempt_ref), client.v1.payment_intents.retrieve(intent_id).status,
            events, recorded)


def expected(attempt_ref: str, transaction_id: str) -> tuple:
    return ([("provider:vietqr:clearing", "suspense", TYPED_MINOR)], [], "amount_mismatch", Status.REQUIRES_ACTION,
            ["payment_intent.created"],
            [(f"vietqr:{transaction_id}", attempt_ref, "invalid_amount")])


def another_amount_applied(client: stripe.StripeClient, api_url: str, database_url: str,
                           scenario: str) -> tuple[Callable[[], tuple], str, tuple]:
    """The payer sends TYPED_MINOR for a QR (``scenario``): a look at the outcome, the
    attempt, and the outcome once the first of the query and the notification applied it."""
    intent_id, confirmed = awaiting(client, "vietqr")
    attempt_ref = confirmed.latest_attempt
    transaction_id = send_another_amount(api_url, confirmed, scenario)

    def look() -> tuple:
        return outcome(client, database_url, intent_id, attempt_ref, transaction_id)

    applied = eventually(look, lambda seen: seen[-1] != [])
    assert applied == expected(attempt_ref, transaction_id)
    return look, attempt_ref, applied


def test_a_credit_for_another_amount_found_by_the_query_is_kept_in_suspense_and_its_late_notification_changes_nothing(
        client, api_url, api_database_url):
    look, attempt_ref, found = another_amount_applied(client, api_url, api_database_url, "never_calls_back")
    late = notify(api_url, bank_credit(api_url, attempt_ref))  # the lost notification, at last
    assert (late.status_code, late.json()["code"]) == (200, "00")
    assert look() == found


def test_a_credit_for_another_amount_notified_first_is_not_booked_again_by_the_query(
        client, api_url, api_database_url):
    look, attempt_ref, notified = another_amount_applied(client, api_url, api_database_url, "success")
    # The attempt stays pending (flagged for finance staff): the job queries it again and
    # finds the same credit. It is claimed once per quiet period (2 s), so by its second
    # claim from now the first one's query has long been answered.
    claimed = time.time()
    for _ in range(2):
        claimed = eventually(lambda: queried_at(api_database_url, attempt_ref), lambda at, after=claimed: at > after)
    assert look() == notified


def test_the_query_and_the_notification_of_the_right_amount_book_the_payment_once(
        client, api_url, api_database_url):
    intent_id, confirmed = awaiting(client, "vietqr")
    with httpx.Client(timeout=30) as app:
        done = app.post(f"{api_url}/sandbox/vietqr/transfer", data={"payload": qr_of(confirmed),
                                                                    "scenario": "never_calls_back"})
    transaction_id = re.search(r"FT[0-9]+", done.text).group(0)
    assert eventually(lambda: client.v1.payment_intents.retrieve(intent_id).status,
                      lambda status: status == Status.SUCCEEDED, PATIENCE_S) == Status.SUCCEEDED
    late = notify(api_url, bank_credit(api_url, confirmed.latest_attempt))
    assert (late.status_code, late.json()["code"]) == (200, "00")
    assert len(ledger_payments(api_database_url, confirmed.latest_attempt)) == 1
    assert suspense(api_database_url, transaction_id) == []
