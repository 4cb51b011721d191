"""Creating PaymentIntents with idempotency keys over real HTTP, 32 connections.

    python -m benchmarks.api [--quick]

Starts `publicpay serve --workers 2` on a fresh database and drives it with wrk (Debian's
package `wrk`: a Python load generator could not keep up with the server it measures).
Prints one JSON object on its last line with create_rps and create_p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg

from benchmarks.common import fresh_database, report
from gateway.keys.model import Mode
from gateway.keys.store import create_key

CONNECTIONS = 32
SCRIPT = Path(__file__).parent / "wrk" / "create_payment_intents.lua"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def new_key(url: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return (await create_key(conn, "BCA", Mode.TEST))[1]


def start_server(url: str, port: int, home: str) -> subprocess.Popen:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PUBLICPAY_")} | {
        "PUBLICPAY_DATABASE_URL": url, "PUBLICPAY_HOME": home, "PUBLICPAY_LOG_LEVEL": "WARNING"}
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


def run_wrk(port: int, secret: str, seconds: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(SCRIPT),
         "-H", f"Authorization: Bearer {secret}", f"http://127.0.0.1:{port}/v1/payment_intents"],
        capture_output=True, text=True, check=True).stdout
    print(output, flush=True)
    if "Non-2xx" in output:
        raise SystemExit("some requests failed: the figures would not mean anything")
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99[2]]
    return {"create_rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])),
            "create_p99_ms": round(float(p99[1]) * scale, 1)}


def main(quick: bool) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    with fresh_database() as url, tempfile.TemporaryDirectory() as home:
        port = free_port()
        server = start_server(url, port, home)  # it migrates and loads the catalogue itself
        try:
            secret = asyncio.run(new_key(url))
            run_wrk(port, secret, 2)  # warm-up: connection pools, prepared statements
            return run_wrk(port, secret, 5 if quick else 20)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 5-second run instead of 20")
    report(main(parser.parse_args().quick))
