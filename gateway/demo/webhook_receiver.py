"""The agencies' side of webhooks: a small HTTP server in the demo's process, one path per
agency (``/webhooks/<AGENCY>``), that checks each delivery's Stripe-Signature with the
official client, as an agency's server would, and counts what it got (deduplicating by
event id, since delivery is at least once)."""

from __future__ import annotations

import collections
import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stripe


class ReceivedEvents:
    """What the receiver has accepted and refused, safe to read from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secrets: dict[str, str] = {}  # agency → the endpoint's whsec_ secret
        self.event_ids: dict[str, set[str]] = collections.defaultdict(set)
        self.types: collections.Counter[str] = collections.Counter()
        self.deliveries = 0  # every accepted POST, repeats included
        self.refused = 0  # a bad signature or an unknown agency

    def accept(self, agency: str, payload: bytes, signature: str) -> bool:
        secret = self.secrets.get(agency)
        try:
            if secret is None:
                raise ValueError(f"no endpoint for {agency}")
            event = stripe.Webhook.construct_event(payload, signature, secret)
        except (ValueError, stripe.SignatureVerificationError):
            with self._lock:
                self.refused += 1
            return False
        with self._lock:
            self.deliveries += 1
            if event.id not in self.event_ids[agency]:
                self.event_ids[agency].add(event.id)
                self.types[event.type] += 1
        return True

    def types_received(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.types.items()))

    def unique_events(self) -> int:
        with self._lock:
            return sum(len(ids) for ids in self.event_ids.values())


def _handler_for(received: ReceivedEvents) -> type[BaseHTTPRequestHandler]:
    class WebhookHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            agency = self.path.removeprefix("/webhooks/")
            payload = self.rfile.read(int(self.headers.get("content-length") or 0))
            accepted = received.accept(agency, payload, self.headers.get("stripe-signature", ""))
            self.send_response(200 if accepted else 400)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
            pass  # the demo's screen is for its progress

    return WebhookHandler


@contextlib.contextmanager
def webhook_receiver() -> Iterator[tuple[str, ReceivedEvents]]:
    """The receiver's base URL (append ``/webhooks/<AGENCY>``) and what it receives."""
    received = ReceivedEvents()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(received))
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
