"""`publicpay serve` on an embedded server: its workers share it, it says where it listens,
and it stops PostgreSQL when it is stopped the way a service manager stops it (SIGTERM)."""

import subprocess
import sys
import time

import httpx

from tests.conftest import publicpay_environ
from tests.gateway.test_run_command import servers_on


def test_serve_on_an_embedded_server_and_stop_it_with_sigterm(tmp_path, port):
    environ = publicpay_environ({
        "PUBLICPAY_HOME": str(tmp_path), "PUBLICPAY_LOG_LEVEL": "WARNING"})
    server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                              env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                # Several probes, so that both workers (separate processes) answer ready.
                if all(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
                       for _ in range(6)):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        assert servers_on(tmp_path), "no embedded PostgreSQL under the home"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "applied gateway/0001_gateway" in output
    assert servers_on(tmp_path) == []
