"""The gateway the demo drives: ``publicpay serve`` in a subprocess, on the database the
demo holds, with its provider sandboxes; its log goes to a file under PUBLICPAY_HOME."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 90  # a fresh home migrates its database first
# The sandboxes' delays (late callback 3 h, callback retries after minutes) times this, so
# that the day's late callback arrives within seconds; PUBLICPAY_SANDBOX_TIME_SCALE wins.
DEMO_SANDBOX_TIME_SCALE = "0.001"


@dataclass(frozen=True)
class RunningServer:
    url: str
    process: subprocess.Popen

    def stopped(self) -> bool:
        return self.process.poll() is not None


class ServerFailed(Exception):
    """The server exited or did not become ready; the message holds the end of its log."""


def port_or_free(wanted: int) -> int:
    """``wanted`` if nothing listens there, or else any free loopback port."""
    with socket.socket() as probe:
        # As uvicorn binds: a port whose last connections are still closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, base: Mapping[str, str]) -> dict[str, str]:
    return {"PUBLICPAY_SANDBOX_TIME_SCALE": DEMO_SANDBOX_TIME_SCALE, **base, "PUBLICPAY_DATABASE_URL": database_url}


@contextlib.contextmanager
def gateway_server(database_url: str, port: int, log_path: Path) -> Iterator[RunningServer]:
    """``publicpay serve`` on ``port``, ready with its sandboxes; stopped after the block."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=server_environment(database_url, os.environ), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, process, log_path)
        yield RunningServer(url=url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(url: str, process: subprocess.Popen, log_path: Path) -> None:
    """Ready: the database is current (/readyz). The sandboxes are up by then: serve starts
    its workers only once their process listens."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"publicpay serve exited with status {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise ServerFailed(f"publicpay serve was not ready within {STARTUP_TIMEOUT_S} s:\n{_tail(log_path)}")


def _tail(log_path: Path, lines: int = 30) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
