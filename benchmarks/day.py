"""A compressed day at the portal: payments created, confirmed, called back, and announced
to the agency's webhook endpoint, sustained at the highest rate this machine holds with
p99 latency under 100 ms.

    python -m benchmarks.day [--quick] [--seconds S]

Starts `publicpay serve --workers 2` (with its sandboxes) on a fresh database. Citizens pay
in a closed loop, one request after another: half by card (create, then confirm: the
acquirer answers within the confirm), half through VNPAY (create, confirm, the sandbox's
page, the payer's choice; the sandbox then sends its signed IPN to the gateway). Every
event goes to a webhook endpoint this process serves. Short probes with more and more
citizens find the most that keep p99 under the limit; that many pay for the sustained run
(5 minutes; --quick: 30 s). Prints one JSON object on its last line: rate (payments
succeeded per second), p99_ms (over every request the citizens made), db_mb_per_million
(the database's growth per million payments: intents, attempts, events, deliveries, ledger).

The load generator is Python on the same two cores as the server: what it spends is taken
from the server, so the figures understate what the server alone would hold.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Awaitable

import httpx
import psycopg

from benchmarks.api import new_key
from benchmarks.common import fresh_database, report, serving

P99_LIMIT_MS = 100.0
PROBE_S = 8
CITIZEN_STEPS = (2, 4, 8, 16, 32)
RETURN_URL = "https://agency.example/done"
WEBHOOK_ACK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Load:
    """What the citizens' requests took, and how many were refused."""

    def __init__(self) -> None:
        self.latencies_s: list[float] = []
        self.failures = 0

    async def timed(self, request: Awaitable[httpx.Response]) -> httpx.Response:
        started = time.perf_counter()
        response = await request
        self.latencies_s.append(time.perf_counter() - started)
        self.failures += response.status_code >= 400
        return response

    def p99_ms(self) -> float:
        ordered = sorted(self.latencies_s)
        return round(ordered[int(len(ordered) * 0.99)] * 1000, 1) if ordered else 0.0


async def pay_by_card(http: httpx.AsyncClient, load: Load) -> None:
    intent = (await load.timed(http.post("/v1/payment_intents", data={
        "amount": 150_000, "currency": "vnd", "payment_method_types[]": "card"}))).json()
    await load.timed(http.post(f"/v1/payment_intents/{intent['id']}/confirm", data={"payment_method": "pm_card_visa"}))


async def pay_through_vnpay(http: httpx.AsyncClient, load: Load) -> None:
    intent = (await load.timed(http.post("/v1/payment_intents", data={
        "amount": 150_000, "currency": "vnd", "payment_method_types[]": "vnpay"}))).json()
    confirmed = (await load.timed(http.post(f"/v1/payment_intents/{intent['id']}/confirm",
                                            data={"return_url": RETURN_URL}))).json()
    page = confirmed["next_action"]["redirect_to_url"]["url"]
    await load.timed(http.get(page))
    await load.timed(http.post(page.split("?")[0].replace("vpcpay.html", "pay"),
                               data={"txn_ref": confirmed["latest_attempt"], "scenario": "success"}))


async def citizens(port: int, secret: str, count: int, seconds: float) -> Load:
    load = Load()
    deadline = time.monotonic() + seconds

    async def citizen(number: int) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=(secret, ""), timeout=30) as http:
            for turn in itertools.count(number):
                if time.monotonic() > deadline:
                    return
                await (pay_by_card if turn % 2 else pay_through_vnpay)(http, load)

    await asyncio.gather(*(citizen(n) for n in range(count)))
    return load


async def serve_webhooks() -> tuple[asyncio.Server, int]:
    """The agency's endpoint: reads each delivery and says 200."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
                await reader.readexactly(int(head.split("content-length:", 1)[1].split("\r\n", 1)[0]))
                writer.write(WEBHOOK_ACK)
        # The sender hung up, or the run is over and asyncio cancels what is left.
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def succeeded_payments_and_size(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT (SELECT count(*) FROM gateway.payment_intents WHERE status = 'succeeded'),"
                            " pg_database_size(current_database())").fetchone()


async def day(url: str, port: int, seconds: float) -> dict:
    secret = await new_key(url)
    receiver, receiver_port = await serve_webhooks()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", auth=(secret, "")) as http:
        (await http.post("/v1/webhook_endpoints", data={
            "url": f"http://127.0.0.1:{receiver_port}/hooks", "enabled_events[]": "*"})).raise_for_status()
    await citizens(port, secret, 4, 3)  # warm-up: pools, prepared statements, the sandboxes
    chosen = CITIZEN_STEPS[0]
    for count in CITIZEN_STEPS:
        probe = await citizens(port, secret, count, PROBE_S)
        print(f"{count:>3} citizens: {len(probe.latencies_s) / PROBE_S:,.0f} requests/s, p99 {probe.p99_ms()} ms",
              flush=True)
        if probe.p99_ms() > P99_LIMIT_MS or probe.failures:
            break
        chosen = count
    paid_before, size_before = succeeded_payments_and_size(url)
    started = time.perf_counter()
    load = await citizens(port, secret, chosen, seconds)
    elapsed = time.perf_counter() - started
    paid_after, size_after = succeeded_payments_and_size(url)
    receiver.close()
    paid = paid_after - paid_before
    print(f"{chosen} citizens for {elapsed:.0f} s: {paid:,} payments succeeded, {len(load.latencies_s):,} requests,"
          f" {load.failures} refused, p99 {load.p99_ms()} ms", flush=True)
    if load.failures:
        raise SystemExit(f"{load.failures} requests were refused: the figures would mean nothing")
    return {"rate": round(paid / elapsed, 1), "p99_ms": load.p99_ms(), "citizens": chosen,
            "db_mb_per_million": round((size_after - size_before) / max(paid, 1) * 1_000_000 / 2**20)}


def main(seconds: float) -> dict:
    with fresh_database() as url, serving(url) as port:
        return asyncio.run(day(url, port, seconds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 30-second sustained run instead of 5 minutes")
    parser.add_argument("--seconds", type=float, help="the sustained run's length")
    arguments = parser.parse_args()
    report(main(arguments.seconds or (30 if arguments.quick else 300)))
