"""The card acquirer's answer to the payment itself names the amount it took: one other
than asked is flagged for finance staff and not booked, as a callback's would be, through
the real server and its card sandbox (the tester's wrong_amount outcome)."""

from __future__ import annotations

import time

import httpx

from gateway.payments.model import Status
from tests.gateway.payment_flows import attempt_flag, create, ledger_payments


def test_a_card_payment_of_another_amount_is_flagged_not_booked(client, api_url, api_database_url):
    queued = httpx.post(f"{api_url}/sandbox/card/_sandbox/scenario", data={"scenario": "wrong_amount"}, timeout=30)
    assert queued.status_code == 201
    intent = create(client)
    confirmed = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert (confirmed.status, confirmed.amount_received) == (Status.PROCESSING, 0)
    assert attempt_flag(api_database_url, confirmed.latest_attempt) == "amount_mismatch"
    time.sleep(0.5)  # the acquirer's webhook, with the same amount, comes at once and changes nothing
    assert ledger_payments(api_database_url, confirmed.latest_attempt) == []
    assert client.v1.payment_intents.retrieve(intent.id).status == Status.PROCESSING
