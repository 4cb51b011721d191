"""What every benchmark needs: a fresh, migrated database on the embedded server (or on
PUBLICPAY_DATABASE_URL), a real `publicpay serve` on it, and a way to print its figures."""

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
