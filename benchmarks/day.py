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
(the database's growth per million payments: intents, attempts, events, deliveries, ledger),
and what that growth is made of: db_mb_per_million_by_group (ledger, the gateway's intents,
attempts and events, the outbox's webhook deliveries, idempotency; each with its tables and
indexes), db_mb_per_million_unattributed (the rest: system catalogues, statistics) and
indexes_not_scanned (indexes that grew but served no query of this traffic).

The load generator is Python on the same two cores as the server: what it spends is taken
from the server, so the figures understate what the server alone would hold.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
from collections.abc import Awaitable
from typing import NamedTuple

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


# What the database's growth is made of: every table (heap, TOAST and maps) and every index
# of our schemas, by size, with how often each index was scanned.
RELATION_SIZES = """
SELECT n.nspname || '.' || t.relname, '', pg_table_size(t.oid), 0, false
  FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE t.relkind IN ('r', 'p') AND n.nspname = ANY(%(schemas)s)
UNION ALL
SELECT n.nspname || '.' || t.relname, i.relname, pg_relation_size(i.oid), coalesce(s.idx_scan, 0), x.indisunique
  FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = i.oid
 WHERE n.nspname = ANY(%(schemas)s)
"""
SCHEMAS = ["ledger", "catalogue", "recon", "gateway"]


class Relation(NamedTuple):
    table: str
    index: str  # '' for the table itself
    size: int
    scans: int
    unique: bool


def relation_sizes(url: str) -> dict[tuple[str, str], Relation]:
    with psycopg.connect(url) as conn:
        rows = [Relation(*row) for row in conn.execute(RELATION_SIZES, {"schemas": SCHEMAS})]
    return {(row.table, row.index): row for row in rows}


def group_of(table: str) -> str:
    """The parts the README's size figure is discussed by."""
    schema, name = table.split(".")
    if schema == "ledger":
        return "ledger"
    if "webhook" in name:
        return "outbox_webhook_deliveries"
    if "idempotency" in name:
        return "idempotency"
    return "gateway_intents_attempts_events" if schema == "gateway" else "other"


def size_breakdown(before: dict, after: dict, paid: int) -> dict:
    """MB per million payments of each group, table and index; and the indexes that grew but
    were never scanned since the database was made (warm-up and probes included, the same
    traffic); a unique index still checks its constraint, so it may be needed all the same."""
    per_million = 1_000_000 / max(paid, 1) / 2**20
    groups: dict[str, dict] = {}
    unscanned = {}
    for key, row in sorted(after.items()):
        earlier = before.get(key)
        grown_mb = (row.size - (earlier.size if earlier else 0)) * per_million
        if grown_mb < 0.5:
            continue
        group = groups.setdefault(group_of(row.table), {"total": 0.0, "tables": {}, "indexes": {}})
        group["total"] += grown_mb
        if row.index:
            group["indexes"][row.index] = round(grown_mb)
            if row.scans == 0:
                unscanned[row.index] = {"mb_per_million": round(grown_mb), "unique": row.unique}
        else:
            group["tables"][row.table] = round(grown_mb)
    for group in groups.values():
        group["total"] = round(group["total"])
    return {"db_mb_per_million_by_group": dict(sorted(groups.items(), key=lambda item: -item[1]["total"])),
            "indexes_not_scanned": unscanned}


def unattributed(total_mb: int, breakdown: dict) -> int:
    return total_mb - sum(group["total"] for group in breakdown["db_mb_per_million_by_group"].values())


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
    relations_before = relation_sizes(url)
    started = time.perf_counter()
    load = await citizens(port, secret, chosen, seconds)
    elapsed = time.perf_counter() - started
    paid_after, size_after = succeeded_payments_and_size(url)
    relations_after = relation_sizes(url)
    receiver.close()
    paid = paid_after - paid_before
    print(f"{chosen} citizens for {elapsed:.0f} s: {paid:,} payments succeeded, {len(load.latencies_s):,} requests,"
          f" {load.failures} refused, p99 {load.p99_ms()} ms", flush=True)
    if load.failures:
        raise SystemExit(f"{load.failures} requests were refused: the figures would mean nothing")
    total_mb = round((size_after - size_before) / max(paid, 1) * 1_000_000 / 2**20)
    breakdown = size_breakdown(relations_before, relations_after, paid)
    return {"rate": round(paid / elapsed, 1), "p99_ms": load.p99_ms(), "citizens": chosen,
            "db_mb_per_million": total_mb, **breakdown,
            "db_mb_per_million_unattributed": unattributed(total_mb, breakdown)}


def main(seconds: float) -> dict:
    with fresh_database() as url, serving(url) as port:
        return asyncio.run(day(url, port, seconds))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 30-second sustained run instead of 5 minutes")
    parser.add_argument("--seconds", type=float, help="the sustained run's length")
    arguments = parser.parse_args()
    report(main(arguments.seconds or (30 if arguments.quick else 300)))
