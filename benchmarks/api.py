"""Creating PaymentIntents with idempotency keys over real HTTP, 32 connections.

    python -m benchmarks.api [--quick]

Starts `publicpay serve --workers 2` on a fresh database and drives it with wrk (Debian's
package `wrk`: a Python load generator could not keep up with the server it measures).
Prints one JSON object on its last line with create_rps, create_p99_ms and create_cpu_ms: the
CPU time (user + system) that the server's processes and the database's backends spent per
create, which the other work on a shared machine moves much less than it moves the rate.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
from pathlib import Path

import psycopg

from benchmarks.common import cpu_ms_per_request, cpu_now, fresh_database, report, serving
from gateway.keys.model import Mode
from gateway.keys.store import create_key

CONNECTIONS = 32
SCRIPT = Path(__file__).parent / "wrk" / "create_payment_intents.lua"


async def new_key(url: str) -> str:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return (await create_key(conn, "BCA", Mode.TEST))[1]


def run_wrk(port: int, secret: str, seconds: int) -> dict:
    """wrk's rate and 99th percentile latency, and the requests it made."""
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
            "create_p99_ms": round(float(p99[1]) * scale, 1),
            "requests": int(re.search(r"(\d+) requests in", output)[1])}


def measure(url: str, port: int, secret: str, seconds: int) -> dict:
    """One wrk run, with the CPU that the server and the database spent on it per request."""
    before = cpu_now(url, port)
    figures = run_wrk(port, secret, seconds)
    spent = cpu_ms_per_request("create", before, cpu_now(url, port), figures.pop("requests"))
    return figures | {"create_cpu_ms": round(sum(spent.values()), 3)} | spent


def main(quick: bool) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    with fresh_database() as url, serving(url) as port:  # the server loads the catalogue itself
        secret = asyncio.run(new_key(url))
        run_wrk(port, secret, 2)  # warm-up: connection pools, prepared statements
        return measure(url, port, secret, 5 if quick else 20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 5-second run instead of 20")
    report(main(parser.parse_args().quick))
