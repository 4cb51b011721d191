"""`publicpay serve` stopped the way a service manager stops it (SIGTERM to the main process)
while a request and a webhook delivery are in flight: the request gets its normal answer,
new connections are refused from the moment the server starts stopping, the delivery is
finished and recorded (not cut off to be sent again), the process exits 0 within its
shutdown timeout, and a restart delivers every event, none lost.

The request is held in flight deterministically: the test holds the PaymentIntent's row
lock, which the cancel request waits for; the delivery by a receiver that answers only when
the test lets it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
import stripe

from gateway.keys.model import Mode
from gateway.keys.store import create_key
from tests.conftest import publicpay_environ
from tests.gateway.conftest import free_port, wait_until_ready
from tests.gateway.payment_flows import create

SHUTDOWN_TIMEOUT_S = 20
# Long enough that no delivery times out while the test holds it.
WEBHOOK_TIMEOUT_S = 30
LET_THE_JOBS_STOP_S = 3
PATIENCE_S = 60  # for things that happen at once on a quiet machine, bounded so a bug fails


class GatedReceiver:
    """An agency's webhook endpoint that holds every delivery until ``open()``."""

    def __init__(self) -> None:
        self.gate, self.arrived = threading.Event(), threading.Semaphore(0)
        self.lock = threading.Lock()
        self.event_ids: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.arrived.release()
                receiver.gate.wait()
                with receiver.lock:
                    receiver.event_ids.append(json.loads(body)["id"])
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def received(self) -> set[str]:
        with self.lock:
            return set(self.event_ids)


@pytest.fixture
def receiver() -> Iterator[GatedReceiver]:
    gated = GatedReceiver()
    thread = threading.Thread(target=gated.server.serve_forever, daemon=True)
    thread.start()
    yield gated
    gated.gate.set()
    gated.server.shutdown()


def start_server(environ: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as output:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                                  env=environ, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until_ready(f"http://127.0.0.1:{port}", server, log)
    return server


def refuses_connections(port: int) -> bool:
    """Refused at once, rather than accepted (or queued, unanswered, until a time-out)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def eventually(check, what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {PATIENCE_S} s: {what}")
        time.sleep(0.02)


def waiting_on_a_lock(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'").fetchone()[0] > 0


def deliveries(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT e.type, d.status, d.attempts, (SELECT count(*) FROM gateway.webhook_attempts a"
            "  WHERE a.delivery_id = d.id), d.next_attempt_at <= now() + interval '1 second'"
            "  FROM gateway.webhook_deliveries d JOIN gateway.events e ON e.id = d.event_id ORDER BY d.id").fetchall()


def serve_environ(database_url: str, home: Path, shutdown_timeout_s: float) -> dict[str, str]:
    return publicpay_environ({
        "PUBLICPAY_DATABASE_URL": database_url, "PUBLICPAY_HOME": str(home),
        "PUBLICPAY_LOG_LEVEL": "WARNING", "PUBLICPAY_RECONCILIATION_AT": "off",
        "PUBLICPAY_SHUTDOWN_TIMEOUT_MS": str(round(shutdown_timeout_s * 1000)),
        "PUBLICPAY_WEBHOOK_TIMEOUT_MS": str(WEBHOOK_TIMEOUT_S * 1000), "PUBLICPAY_WEBHOOK_POLL_MS": "100",
        "PUBLICPAY_WEBHOOK_RETRY_BASE_MS": "100", "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001"})


class InFlight:
    """A new agency's PaymentIntent whose created event's delivery the receiver holds, and a
    request to cancel it that waits for the intent's row lock, which the test holds."""

    def __init__(self, database_url: str, port: int, receiver: GatedReceiver) -> None:
        self.agency = f"AG{uuid.uuid4().hex[:10].upper()}"
        client = stripe.StripeClient(asyncio.run(_new_key(database_url, self.agency)),
                                     base_addresses={"api": f"http://127.0.0.1:{port}"}, max_network_retries=0)
        client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
        self.intent = create(client, payment_method_types=["card"])
        assert receiver.arrived.acquire(timeout=PATIENCE_S), "the created event's delivery never came"
        self.holder = psycopg.connect(database_url)
        self.holder.execute("SELECT 1 FROM gateway.payment_intents WHERE id = %s FOR UPDATE", (self.intent.id,))
        self.answers: list = []
        self.errors: list = []
        self.cancelling = threading.Thread(target=self._cancel, args=(client,))
        self.cancelling.start()
        with psycopg.connect(database_url, autocommit=True) as watcher:
            eventually(lambda: waiting_on_a_lock(watcher), "the cancel request waits for the intent's row lock")

    def _cancel(self, client: stripe.StripeClient) -> None:
        try:
            self.answers.append(client.v1.payment_intents.cancel(self.intent.id))
        except stripe.StripeError as error:
            self.errors.append(error)

    def release(self) -> None:
        self.holder.commit()
        self.holder.close()
        self.cancelling.join(PATIENCE_S)


def test_sigterm_finishes_what_is_in_flight_refuses_new_connections_and_loses_nothing(
        empty_database_url, tmp_path, receiver) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    environ = serve_environ(empty_database_url, tmp_path / "home", SHUTDOWN_TIMEOUT_S)
    server = start_server(environ, port, log)
    try:
        flight = InFlight(empty_database_url, port, receiver)
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)
        eventually(lambda: refuses_connections(port), "new connections are refused")
        assert flight.cancelling.is_alive(), "the request in flight must still be in flight"
        flight.release()
        assert [answer.status for answer in flight.answers] == ["canceled"], flight.errors
        assert refuses_connections(port)
        # The requests are done, so the workers stop their background jobs now: a server
        # that cut its deliveries off would have done so within this time (on a slower
        # machine the test only checks less), one that lets them finish waits for the answer.
        time.sleep(LET_THE_JOBS_STOP_S)
        assert server.poll() is None, "the server must wait for the delivery in flight"
        receiver.gate.set()

        server.wait(timeout=SHUTDOWN_TIMEOUT_S + PATIENCE_S)
        took_s = time.monotonic() - stopped_at
        assert server.returncode == 0, log.read_text()
        assert took_s < SHUTDOWN_TIMEOUT_S, took_s
    finally:
        _stop(server)

    # The delivery in flight at SIGTERM was finished and recorded once; any other is due again.
    rows = deliveries(empty_database_url)
    assert rows[0][:4] == ("payment_intent.created", "succeeded", 1, 1), rows
    assert all(status == "succeeded" and attempts == recorded or status == "pending" and due
               for _, status, attempts, recorded, due in rows), rows

    server = start_server(environ, port, log)
    try:
        eventually(lambda: all(row[1] == "succeeded" for row in deliveries(empty_database_url)),
                   "every delivery succeeds after the restart")
        with psycopg.connect(empty_database_url) as conn:
            events = {row[0] for row in conn.execute("SELECT id FROM gateway.events WHERE agency_code = %s",
                                                     (flight.agency,))}
        assert len(events) == 2 and events <= receiver.received()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=SHUTDOWN_TIMEOUT_S + PATIENCE_S) == 0, log.read_text()
    finally:
        _stop(server)


SHORT_SHUTDOWN_S = 4
# The supervisor looks at signals twice a second, and kills and reaps its workers after.
SUPERVISOR_SLACK_S = 2


def test_what_outlasts_the_shutdown_timeout_is_cut_off_as_a_crash_would_and_nothing_is_half_done(
        empty_database_url, tmp_path, receiver) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    server = start_server(serve_environ(empty_database_url, tmp_path / "home", SHORT_SHUTDOWN_S), port, log)
    try:
        flight = InFlight(empty_database_url, port, receiver)
        stopped_at = time.monotonic()
        server.send_signal(signal.SIGTERM)  # and neither the lock nor the delivery is let go
        server.wait(timeout=SHORT_SHUTDOWN_S + PATIENCE_S)
        took_s = time.monotonic() - stopped_at
        assert server.returncode == 0, log.read_text()
        assert took_s < SHORT_SHUTDOWN_S + SUPERVISOR_SLACK_S, took_s
        flight.release()
    finally:
        _stop(server)
    assert flight.answers == [] and len(flight.errors) == 1  # no answer: the request was cut off
    with psycopg.connect(empty_database_url) as conn:
        status = conn.execute("SELECT status FROM gateway.payment_intents WHERE id = %s", (flight.intent.id,))
        assert status.fetchone() == ("requires_payment_method",)  # its transaction rolled back
    # The delivery cut off is not recorded as an attempt; its lease makes it due again later.
    [(kind, delivery_status, attempts, recorded, due)] = deliveries(empty_database_url)
    assert (kind, delivery_status, attempts, recorded, due) == ("payment_intent.created", "pending", 0, 0, False)


async def _new_key(database_url: str, agency: str) -> str:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        return (await create_key(conn, agency, Mode.TEST))[1]


def _stop(server: subprocess.Popen) -> None:
    """Whatever happened, leave no process of this test behind."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def test_a_worker_that_cannot_start_stops_serve_with_uvicorn_s_startup_failure(empty_database_url, tmp_path) -> None:
    """Not a clean stop: exit status 3, as uvicorn's own runner gave, so that a service
    manager sees the failure (the live providers' file is read by each worker as it starts)."""
    broken = tmp_path / "providers.json"
    broken.write_text("{not json")
    environ = publicpay_environ({
        "PUBLICPAY_DATABASE_URL": empty_database_url, "PUBLICPAY_HOME": str(tmp_path / "home"),
        "PUBLICPAY_MODE": "live", "PUBLICPAY_PROVIDERS_FILE": str(broken), "PUBLICPAY_LOG_LEVEL": "WARNING",
        "PUBLICPAY_RECONCILIATION_AT": "off"})
    served = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", str(free_port())], env=environ,
                            capture_output=True, text=True, timeout=SHUTDOWN_TIMEOUT_S + 2 * PATIENCE_S)
    assert served.returncode == 3, served.stdout + served.stderr
    assert "Application startup failed" in served.stderr
