"""What every benchmark needs: a fresh, migrated database on the embedded server (or on
PUBLICPAY_DATABASE_URL), a real `publicpay serve` on it, the CPU its processes and the
database's backends spend per request, and a way to print its figures."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from gateway.database import embedded_server
from gateway.migrations import migrate


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new migrated database, dropped afterwards; the embedded server lives in a temp dir."""
    with contextlib.ExitStack() as stack:
        server_url = os.environ.get("PUBLICPAY_DATABASE_URL")
        if not server_url:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="publicpay-bench-")))
            server_url = stack.enter_context(embedded_server(folder / "data"))
        name = f"publicpay_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_conninfo(server_url, dbname=name)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                migrate(conn)
            yield url
        finally:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def report(figures: dict) -> None:
    """The benchmark's contract: one JSON object of figures on the last line."""
    print(json.dumps(figures), flush=True)


@contextlib.contextmanager
def serving(database_url: str) -> Iterator[int]:
    """`publicpay serve --workers 2` on ``database_url`` until the block ends; its port."""
    with tempfile.TemporaryDirectory() as home:
        port = free_port()
        server = start_server(database_url, port, home)
        try:
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, home: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PUBLICPAY_")} | {
        "PUBLICPAY_DATABASE_URL": url, "PUBLICPAY_HOME": home, "PUBLICPAY_LOG_LEVEL": "WARNING",
        # The load comes from one API key: measure the server, not the key's rate limit.
        "PUBLICPAY_API_RATE_LIMIT_PER_SECOND": "1000000"}
    server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", "2"],
                              env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become ready within 60 s")


def serving_processes(url: str, port: int) -> dict[str, set[int]]:
    """The server's processes (`publicpay serve` and its workers: the parent of one that
    listens on ``port``, and its descendants) and the database's backends."""
    listening = next(c.pid for c in psutil.net_connections("tcp") if c.laddr.port == port and c.status == "LISTEN")
    serve = psutil.Process(listening)
    if "serve" not in serve.cmdline():
        serve = serve.parent()
    with psycopg.connect(url, autocommit=True) as conn:
        backends = {pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")}
    return {"server": {serve.pid, *(child.pid for child in serve.children(recursive=True))}, "database": backends}


def cpu_now(url: str, port: int) -> dict[str, dict[int, float]]:
    """The CPU seconds (user + system) each of the server's processes and of the database's
    backends has spent so far, by part: a figure that other work on a shared machine moves
    much less than it moves the rates."""
    return {part: cpu_seconds(pids) for part, pids in serving_processes(url, port).items()}


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    times = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            cpu = psutil.Process(pid).cpu_times()
            times[pid] = cpu.user + cpu.system
    return times


def cpu_ms_per_request(name: str, before: dict[str, dict[int, float]], after: dict[str, dict[int, float]],
                       requests: int) -> dict[str, float]:
    """``<name>_cpu_ms_server`` and ``<name>_cpu_ms_database``: the CPU spent between two
    ``cpu_now`` per request (processes started in between count from zero; any that ended
    are missed)."""
    return {f"{name}_cpu_ms_{part}": round(sum(used - before[part].get(pid, 0.0) for pid, used in after[part].items())
                                           * 1000 / requests, 3)
            for part in after}
