"""Webhook endpoints through Stripe's client, and delivery to real local receivers."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
import stripe

from gateway.webhooks.signing import retry_delay_s, signature_header

STRIPE_FIXTURES = Path("/work/shared/data/stripe/fixtures3.json")


class Receiver:
    """An HTTP endpoint on loopback that fails its first ``failures`` requests, or sleeps."""

    def __init__(self, failures: int = 0, sleep_s: float = 0.0) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.attempts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.attempts += 1
                time.sleep(sleep_s)
                if receiver.attempts <= failures:
                    self.send_response(500)
                else:
                    receiver.received.append((body, self.headers["Stripe-Signature"]))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"received {len(self.received)} of {count}"


@pytest.fixture
def receivers():
    made = []
    yield lambda **kw: made.append(Receiver(**kw)) or made[-1]
    for receiver in made:
        receiver.server.shutdown()


def test_signature_matches_stripes_verifier():
    header = signature_header(b'{"id": "evt_1"}', "whsec_test", int(time.time()))
    assert stripe.WebhookSignature.verify_header('{"id": "evt_1"}', header, "whsec_test")
    assert [retry_delay_s(n, 30) for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


def test_endpoint_lifecycle(client, stripe_client, new_secret):
    created = client.v1.webhook_endpoints.create(params={"url": "https://hooks.example.vn/pay", "enabled_events": ["*"],
                                                         "description": "so tài chính"})
    assert created.secret.startswith("whsec_") and created.status == "enabled"
    stripes = json.loads(STRIPE_FIXTURES.read_text())["resources"]["webhook_endpoint"]
    fetched = client.v1.webhook_endpoints.retrieve(created.id)
    assert set(fetched.to_dict()) == set(stripes) and "secret" not in fetched.to_dict()
    updated = client.v1.webhook_endpoints.update(created.id, params={"disabled": True,
                                                                      "enabled_events": ["payment_intent.canceled"]})
    assert (updated.status, updated.enabled_events) == ("disabled", ["payment_intent.canceled"])
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [created.id]
    other = stripe_client(new_secret("ZZOTHER"))
    with pytest.raises(stripe.InvalidRequestError) as missing:
        other.v1.webhook_endpoints.retrieve(created.id)
    assert missing.value.http_status == 404
    assert client.v1.webhook_endpoints.delete(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.webhook_endpoints.retrieve(created.id)


def test_http_only_for_loopback(client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.webhook_endpoints.create(params={"url": "http://hooks.example.vn/", "enabled_events": ["*"]})
    assert refused.value.param == "url"


@pytest.mark.parametrize("url", ["https://a]b/", "https://[::1/"])
def test_a_url_that_cannot_be_read_is_refused_by_name(client, url):
    # Found by tests/gateway/test_fuzzing.py: urlsplit's ValueError was a 500.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"]})
    assert (refused.value.param, refused.value.code) == ("url", "url_invalid")


def test_delivery_retries_until_accepted_and_verifies_with_stripe(client, receivers, api_database_url):
    flaky, dead, slow = receivers(failures=2), receivers(failures=10**6), receivers(sleep_s=3)
    secrets = {}
    for receiver in (flaky, dead, slow):
        endpoint = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
        secrets[receiver] = endpoint.secret
    intent = client.v1.payment_intents.create(params={"amount": 50_000, "currency": "vnd"})
    client.v1.payment_intents.cancel(intent.id)
    flaky.wait_for(2)
    events = [stripe.Webhook.construct_event(body.decode(), header, secrets[flaky]) for body, header in flaky.received]
    assert sorted(e.type for e in events) == ["payment_intent.canceled", "payment_intent.created"]
    assert {e.data.object.id for e in events} == {intent.id}
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(flaky.received[0][0].decode(), flaky.received[0][1], secrets[dead])
    assert dead.attempts >= 2 and not dead.received
    # The receiver answers before the attempt is recorded: wait for the records, not a time.
    flaky_attempts = recorded_attempts(api_database_url, flaky.url, 4)
    assert [status for _, status, _, _ in flaky_attempts] == [500, 500, 200, 200]  # every attempt recorded
    # Two failures then success, with 0.2 s and 0.4 s back-off, before the slow endpoint (3 s
    # per answer, past the 1 s timeout) had ended a second try: it held nothing up.
    slow_attempts = recorded_attempts(api_database_url, slow.url, 4)  # both deliveries' first two tries at least
    assert all(status is None for _, status, _, _ in slow_attempts)  # each timed out
    second_try_ended = min(at + timedelta(milliseconds=duration_ms)
                           for attempt, _, at, duration_ms in slow_attempts if attempt == 2)
    assert max(at for _, _, at, _ in flaky_attempts) < second_try_ended


def recorded_attempts(database_url: str, url: str, count: int, timeout_s: float = 60) -> list[tuple]:
    """The attempts recorded for the endpoint at ``url`` once there are ``count``, oldest
    first: (attempt, http_status, at, duration_ms)."""
    deadline = time.monotonic() + timeout_s
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT a.attempt, a.http_status, a.at, a.duration_ms FROM gateway.webhook_attempts a"
                " JOIN gateway.webhook_deliveries d ON d.id = a.delivery_id"
                " JOIN gateway.webhook_endpoints w ON w.id = d.endpoint_id WHERE w.url = %s ORDER BY a.at",
                (url,)).fetchall()
            if len(rows) >= count or time.monotonic() > deadline:
                assert len(rows) >= count, f"{len(rows)} attempts recorded of {count}"
                return rows
            time.sleep(0.05)
