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
import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import psutil
import psycopg

from benchmarks.common import fresh_database, report, serving
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


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    times = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            cpu = psutil.Process(pid).cpu_times()
            times[pid] = cpu.user + cpu.system
    return times


def measure(url: str, port: int, secret: str, seconds: int) -> dict:
    """One wrk run, with the CPU that the server and the database spent on it per request
    (backends the pool opened during the run count from zero; any it closed are missed)."""
    before = {part: cpu_seconds(pids) for part, pids in serving_processes(url, port).items()}
    figures = run_wrk(port, secret, seconds)
    after = {part: cpu_seconds(pids) for part, pids in serving_processes(url, port).items()}
    requests = figures.pop("requests")
    spent_ms = {part: sum(used - before[part].get(pid, 0.0) for pid, used in after[part].items()) * 1000 / requests
                for part in after}
    return figures | {"create_cpu_ms": round(sum(spent_ms.values()), 3),
                      "create_cpu_ms_server": round(spent_ms["server"], 3),
                      "create_cpu_ms_database": round(spent_ms["database"], 3)}


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
