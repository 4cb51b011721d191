"""A real gateway server for the API tests: ``publicpay serve`` in a subprocess on a free
loopback port, on a database of its own that it migrates itself. Tests share the server and
keep apart by agency: each test's keys belong to a new agency, which sees nothing else."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
import stripe

from gateway.keys.model import Mode
from gateway.keys.store import create_key
from tests.conftest import empty_database, publicpay_environ

# Started in well under 30 s on a quiet machine, but 20 s and more with every core busy (several
# suites at once): only a server that never becomes ready should fail the tests.
STARTUP_TIMEOUT_S = 120
# How long the server under test trusts a key it found active: a revocation shows after it.
KEY_CACHE_TTL_MS = 200


@pytest.fixture(scope="session")
def api_database_url(server_url: str) -> Iterator[str]:
    """An empty database: the server under test migrates it on start."""
    with empty_database(server_url, "publicpay_api") as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def port() -> int:
    """A loopback port nothing listens on (for tests that start a server of their own)."""
    return free_port()


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the server under test logs (both workers): where refused callbacks leave their reason."""
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="session")
def api_url(api_database_url: str, server_log: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    environ = publicpay_environ({
        "PUBLICPAY_DATABASE_URL": api_database_url,
        "PUBLICPAY_HOME": str(tmp_path_factory.mktemp("home")),
        "PUBLICPAY_LOG_LEVEL": "WARNING",
        # Webhook retries in fractions of a second, so that delivery tests finish quickly.
        "PUBLICPAY_WEBHOOK_RETRY_BASE_MS": "200",
        "PUBLICPAY_WEBHOOK_POLL_MS": "100",
        "PUBLICPAY_WEBHOOK_TIMEOUT_MS": "1000",
        "PUBLICPAY_API_KEY_CACHE_TTL_MS": str(KEY_CACHE_TTL_MS),
        # Tests make hundreds of objects as fast as they can with one key; the limit itself
        # is tested in-process (tests/gateway/test_rate_limits.py).
        "PUBLICPAY_API_RATE_LIMIT_PER_SECOND": "100000",
        # The nightly reconciliation would otherwise run in a suite that crosses 01:30 in Hanoi.
        "PUBLICPAY_RECONCILIATION_AT": "off",
        # The sandboxes' callbacks come back within milliseconds, and quiet attempts are
        # queried after two seconds.
        "PUBLICPAY_SANDBOX_TIME_SCALE": "0.001",
        "PUBLICPAY_ATTEMPT_QUERY_AFTER_MS": "2000",
        "PUBLICPAY_STATUS_POLL_MS": "200",
    })
    with open(server_log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                                  env=environ, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, server, server_log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_ready(url: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"publicpay serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"publicpay serve was not ready within {STARTUP_TIMEOUT_S} s:\n{log.read_text()}")


def secret_in(database_url: str, agency_code: str, mode: Mode = Mode.TEST) -> str:
    """A new key for an agency in that database, its secret, made through the store as
    `publicpay keys create` does."""
    async def create() -> str:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            return (await create_key(conn, agency_code, mode))[1]

    # In a thread of its own: pytest-asyncio may own this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, create()).result()


@pytest.fixture(scope="session")
def new_secret(api_database_url: str) -> Callable[..., str]:
    """Make a key for an agency on the server under test and return its secret."""

    def make(agency_code: str, mode: Mode = Mode.TEST) -> str:
        return secret_in(api_database_url, agency_code, mode)

    return make


@pytest.fixture(scope="session")
def outlive_key_cache() -> Callable[[], None]:
    """Wait until the server has forgotten the keys it found active before the call."""
    return lambda: time.sleep(KEY_CACHE_TTL_MS / 1000)


@pytest.fixture(scope="session")
def stripe_client(api_url: str) -> Callable[[str], stripe.StripeClient]:
    # No retries: a test should see the first answer, not the client's recovery from it.
    return lambda secret: stripe.StripeClient(secret, base_addresses={"api": api_url}, max_network_retries=0)


@pytest.fixture
def agency() -> str:
    return f"AG{uuid.uuid4().hex[:10].upper()}"


@pytest.fixture
def secret(new_secret, agency: str) -> str:
    return new_secret(agency)


@pytest.fixture
def client(stripe_client, secret: str) -> stripe.StripeClient:
    return stripe_client(secret)


@pytest.fixture
def http(api_url: str, secret: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as session:
        yield session
