"""Verified provider callbacks end to end over real HTTP, 32 senders at once.

    python -m benchmarks.callbacks [--quick]

Starts `publicpay serve --workers 2` on a fresh database, prepares N VNPAY attempts waiting
for their payer (create + confirm; nobody visits the sandbox's page, so the sandbox never
calls back), then sends each attempt's signed IPN once (timed: signature, the attempt's and
intent's change, the ledger transfer, the outbox event, in one transaction each), then every
IPN again (timed: the duplicates providers resend, answered "already confirmed"). Checks
that every payment was booked exactly once. Prints one JSON object on its last line with
first_delivery_rps, duplicate_rps, duplicate_speedup, the p99 latencies and the CPU per
request of the server's processes and of the database's backends.

The senders write HTTP/1.1 on keep-alive connections themselves: on two cores shared with the
server it measures, a general client's per-request cost would be most of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import psycopg

from benchmarks.api import new_key
from benchmarks.common import cpu_ms_per_request, cpu_now, fresh_database, report, serving
from providers.vnpay import api
from providers.vnpay.config import VnpayConfig
from providers.vnpay.signing import payment_url

SENDERS = 32
WARM_UP = 2_000
AMOUNT = 150_000
CONFIG = VnpayConfig()  # the sandbox terminal `publicpay serve` runs with


def http_request(method: str, path: str, *, body: str = "", secret: str = "") -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if secret:
        head.append(f"Authorization: Bearer {secret}")
    if body:
        head.append("Content-Type: application/x-www-form-urlencoded")
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n" + body).encode()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
    if "transfer-encoding: chunked" in head:
        raise SystemExit("a chunked answer: this sender reads Content-Length bodies only")
    length = int(head.split("content-length:", 1)[1].split("\r\n", 1)[0])
    return int(head.split(" ", 2)[1]), await reader.readexactly(length)


async def send_all(port: int, requests: list[bytes]) -> tuple[list[tuple[int, bytes]], list[float], float]:
    """Each request once, over SENDERS connections: the answers in order, each request's
    latency in seconds, and the wall time of the whole."""
    answers: list[tuple[int, bytes]] = [(0, b"")] * len(requests)
    latencies: list[float] = []
    queue: Iterator[int] = iter(range(len(requests)))

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for index in queue:  # shared: each sender takes the next request not yet sent
            started = time.perf_counter()
            writer.write(requests[index])
            answers[index] = await read_response(reader)
            latencies.append(time.perf_counter() - started)
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return answers, latencies, time.perf_counter() - started


async def prepare_attempts(port: int, secret: str, count: int) -> list[str]:
    """``count`` VNPAY attempts waiting for their payer: their references."""
    created, _, _ = await send_all(port, [http_request(
        "POST", "/v1/payment_intents", secret=secret,
        body=urlencode({"amount": AMOUNT, "currency": "vnd", "payment_method_types[]": "vnpay"}))] * count)
    confirm = urlencode({"return_url": "https://agency.example/done"})
    confirmed, _, _ = await send_all(port, [
        http_request("POST", f"/v1/payment_intents/{json.loads(body)['id']}/confirm", secret=secret, body=confirm)
        for _, body in checked(created, 200)])
    return [json.loads(body)["latest_attempt"] for _, body in checked(confirmed, 200)]


def checked(answers: list[tuple[int, bytes]], status: int) -> list[tuple[int, bytes]]:
    if wrong := [answer for answer in answers if answer[0] != status]:
        raise SystemExit(f"{len(wrong)} answers were not {status}, e.g. {wrong[0]}: the figures would mean nothing")
    return answers


def ipn_request(attempt_ref: str, number: int) -> bytes:
    result = {"vnp_Amount": api.to_vnp_amount(AMOUNT), "vnp_BankCode": "NCB", "vnp_OrderInfo": "Thanh toan",
              "vnp_PayDate": "20261122103000", "vnp_ResponseCode": "00", "vnp_TmnCode": CONFIG.tmn_code,
              "vnp_TransactionNo": str(14_000_000 + number), "vnp_TransactionStatus": "00", "vnp_TxnRef": attempt_ref}
    return http_request("GET", payment_url("/callbacks/vnpay", result, CONFIG.hash_secret))


def rsp_codes(answers: list[tuple[int, bytes]]) -> set[str]:
    return {json.loads(body)["RspCode"] for _, body in checked(answers, 200)}


def p99_ms(latencies: list[float]) -> float:
    return round(sorted(latencies)[int(len(latencies) * 0.99)] * 1000, 1)


def booked_payments(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM ledger.transfers WHERE kind = 'payment'").fetchone()[0]


async def measure(url: str, port: int, secret: str, count: int) -> dict:
    attempts = await prepare_attempts(port, secret, count)
    ipns = [ipn_request(ref, number) for number, ref in enumerate(attempts)]
    before = cpu_now(url, port)
    first, first_latencies, first_s = await send_all(port, ipns)
    between = cpu_now(url, port)
    if rsp_codes(first) != {"00"}:
        raise SystemExit(f"first deliveries answered {rsp_codes(first)}, not only 00 (confirmed)")
    again, again_latencies, again_s = await send_all(port, ipns)
    after = cpu_now(url, port)
    if rsp_codes(again) != {"02"}:
        raise SystemExit(f"duplicates answered {rsp_codes(again)}, not only 02 (already confirmed)")
    print(f"{count} first deliveries in {first_s:.2f} s, p99 {p99_ms(first_latencies)} ms;"
          f" {count} duplicates in {again_s:.2f} s, p99 {p99_ms(again_latencies)} ms", flush=True)
    return {"first_delivery_rps": round(count / first_s), "first_delivery_p99_ms": p99_ms(first_latencies),
            **cpu_ms_per_request("first_delivery", before, between, count),
            "duplicate_rps": round(count / again_s), "duplicate_p99_ms": p99_ms(again_latencies),
            **cpu_ms_per_request("duplicate", between, after, count),
            "duplicate_speedup": round(first_s / again_s, 2)}


def main(quick: bool) -> dict:
    count = 2_000 if quick else 10_000
    with fresh_database() as url, serving(url) as port:
        secret = asyncio.run(new_key(url))
        # Warm-up, about two seconds as benchmarks.api's: the connection pools grown, and each
        # connection's statements prepared, as in a server that has run a while.
        asyncio.run(measure(url, port, secret, WARM_UP))
        figures = asyncio.run(measure(url, port, secret, count))
        if booked_payments(url) != count + WARM_UP:
            raise SystemExit(f"{booked_payments(url)} payments booked for {count + WARM_UP} attempts")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 000 attempts instead of 10 000")
    report(main(parser.parse_args().quick))
