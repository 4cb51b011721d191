"""`publicpay serve` on an embedded server: its workers share it, each serving a listening
socket of its own; a killed worker's socket is served again by its replacement (and every
socket after SIGHUP, which replaces the workers in turn); it says where it listens, refuses
an address in use, and stops PostgreSQL when it is stopped the way a service manager stops
it (SIGTERM)."""

import contextlib
import signal
import socket
import subprocess
import sys
import time

import httpx
import psutil

from tests.conftest import publicpay_environ
from tests.gateway.test_run_command import servers_on

# Fresh connections are spread over the workers' sockets by a hash of their ports: this many
# reach each of two sockets but with a chance of 2 × 2⁻⁴⁰.
FRESH_CONNECTIONS = 40
PATIENCE_S = 60


def test_serve_on_an_embedded_server_replace_killed_or_hung_up_workers_and_stop_with_sigterm(tmp_path, port):
    environ = publicpay_environ({
        "PUBLICPAY_HOME": str(tmp_path), "PUBLICPAY_LOG_LEVEL": "WARNING"})
    server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                              env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + PATIENCE_S
        while not both_workers_listen(server.pid, port):
            assert server.poll() is None and time.monotonic() < deadline, "the two workers did not start"
            time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=PATIENCE_S).status_code == 200
        assert servers_on(tmp_path), "no embedded PostgreSQL under the home"

        [killed, spared] = workers_of(server.pid)
        # Only the supervisor and its workers hold the listening sockets: not PostgreSQL nor
        # the sandboxes' process, started after they were bound (which would keep the
        # address taken, and connections queued unanswered, after `serve` stops).
        assert listeners_on(port) == {server.pid, killed.pid, spared.pid}
        killed.send_signal(signal.SIGKILL)
        killed.wait(PATIENCE_S)
        # Those that reach the dead worker's socket wait in its queue and are answered by its
        # replacement (given no socket, or another, they would wait unanswered and time out).
        assert every_fresh_connection_answered(port)
        [replacement] = [worker for worker in workers_of(server.pid) if worker.pid != spared.pid]
        assert replacement.pid != killed.pid

        server.send_signal(signal.SIGHUP)  # each worker replaced in turn, each on its socket
        deadline = time.monotonic() + PATIENCE_S
        while {worker.pid for worker in workers_of(server.pid)} & {spared.pid, replacement.pid}:
            assert time.monotonic() < deadline, "SIGHUP did not replace both workers"
            time.sleep(0.2)
        assert every_fresh_connection_answered(port)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=PATIENCE_S)
    assert server.returncode == 0, output
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "applied gateway/0001_gateway" in output
    assert servers_on(tmp_path) == []


def every_fresh_connection_answered(port: int) -> bool:
    return all(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=PATIENCE_S).status_code == 200
               for _ in range(FRESH_CONNECTIONS))


def both_workers_listen(supervisor_pid: int, port: int) -> bool:
    """Each on its own socket: connections reach a socket only once its worker listens."""
    workers = {worker.pid for worker in workers_of(supervisor_pid)}
    return len(workers) == 2 and workers <= listeners_on(port)


def listeners_on(port: int) -> set[int]:
    """Every process holding a socket that listens on ``port`` (psutil's system-wide list
    names one holder per socket)."""
    holders = set()
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(connection.laddr.port == port and connection.status == psutil.CONN_LISTEN
                   for connection in process.net_connections("tcp")):
                holders.add(process.pid)
    return holders


def workers_of(supervisor_pid: int) -> list[psutil.Process]:
    """The uvicorn workers (started by multiprocessing), not the sandboxes' process nor the
    short-lived ones that start PostgreSQL."""
    workers = []
    for child in psutil.Process(supervisor_pid).children():
        with contextlib.suppress(psutil.Error):  # gone, or a zombie not yet reaped
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
    return workers


def test_an_address_in_use_is_refused_before_anything_starts(tmp_path, port):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        served = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                                env=publicpay_environ({"PUBLICPAY_HOME": str(tmp_path)}),
                                capture_output=True, text=True, timeout=PATIENCE_S)
    assert served.returncode == 3, served.stdout + served.stderr
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in served.stdout
    assert servers_on(tmp_path) == []
