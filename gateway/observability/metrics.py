"""Prometheus metrics at ``/metrics``.

Counters and histograms live in each server process; ``publicpay serve`` points
``PROMETHEUS_MULTIPROC_DIR`` at a directory of its own before any worker starts, and a
scrape (answered by any one worker) sums every worker's files. What the database knows
better than any one process (webhooks waiting, attempts nobody has called back about,
exceptions open for finance staff, the latest reconciliation of each provider) is read
from it at scrape time, with queries that only touch small partial indexes.
"""

from __future__ import annotations

import hmac
import os
import time

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from gateway.observability import store

# Routes by their template (/v1/payment_intents/{intent_id}), never by the ids in them.
HTTP_REQUESTS = Counter("publicpay_http_requests_total", "HTTP requests answered, by route, method and status.",
                        ["path", "method", "status_code"])
HTTP_DURATION = Histogram("publicpay_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
                          ["path", "method"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
UNCOUNTED_PATHS = ("/metrics", "/sandbox")  # the scrape itself; the sandboxes are not ours


def http_metrics_middleware(app: ASGIApp) -> ASGIApp:
    """Counts and times each request by its route. Written for the hot path: Litestar's own
    Prometheus middleware builds a Request and a labels dict and keeps an in-progress gauge
    for every request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path_template")
        if scope["type"] != "http" or path is None or path.startswith(UNCOUNTED_PATHS):
            await app(scope, receive, send)
            return
        status = 500  # unless a response starts
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, sending)
        finally:
            method = scope["method"]
            HTTP_DURATION.labels(path, method).observe(time.perf_counter() - started)
            HTTP_REQUESTS.labels(path, method, str(status)).inc()

    return middleware


# Counted where the outcome is decided, inside its transaction: one that fails after it
# (which is logged) leaves the count one too high, never too low.
PAYMENT_OUTCOMES = Counter("publicpay_payment_attempts_resolved_total",
                           "Payment attempts that reached an outcome, by provider and outcome.",
                           ["provider", "outcome"])
CALLBACK_REFUSALS = Counter("publicpay_callback_refusals_total",
                            "Provider callbacks refused before they could move money, by provider and reason.",
                            ["provider", "reason"])
WEBHOOK_ATTEMPTS = Counter("publicpay_webhook_delivery_attempts_total",
                           "Webhook delivery attempts, by outcome (succeeded, failed).", ["outcome"])


class DatabaseFigures(Collector):
    """Gauges read from the database for one scrape."""

    def __init__(self, figures: store.OperationsFigures) -> None:
        self.figures = figures

    def collect(self):
        f = self.figures
        backlog = GaugeMetricFamily("publicpay_outbox_backlog", "Webhook deliveries not yet made (due or waiting to retry).")
        backlog.add_metric([], f.webhooks_pending)
        oldest = GaugeMetricFamily("publicpay_outbox_oldest_due_seconds",
                                   "How long the oldest due webhook delivery has waited.")
        oldest.add_metric([], f.oldest_due_s)
        pending = GaugeMetricFamily("publicpay_payment_attempts_pending",
                                    "Payment attempts awaiting their provider's word.", labels=["provider"])
        flagged = GaugeMetricFamily("publicpay_payment_attempts_flagged",
                                    "Payment attempts flagged for finance staff.", labels=["provider", "flag"])
        for provider, count in f.attempts_pending:
            pending.add_metric([provider], count)
        for provider, flag, count in f.attempts_flagged:
            flagged.add_metric([provider, flag], count)
        exceptions = GaugeMetricFamily("publicpay_reconciliation_exceptions_open",
                                       "Reconciliation exceptions waiting for finance staff.")
        exceptions.add_metric([], f.exceptions_open)
        lines = GaugeMetricFamily("publicpay_reconciliation_lines",
                                  "The latest reconciliation run of each provider: settlement lines by class.",
                                  labels=["provider", "business_day", "class"])
        for provider, day, counts in f.latest_runs:
            for name, count in sorted(counts.items()):
                lines.add_metric([provider, day.isoformat(), name], count)
        yield from (backlog, oldest, pending, flagged, exceptions, lines)


def process_metrics() -> bytes:
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def metrics_handler(token: str | None):
    """``GET /metrics``; with ``token`` set, only for ``Authorization: Bearer <token>``."""

    @get("/metrics", include_in_schema=False)
    async def metrics(request: Request, state: State) -> Response:
        if token is not None and not hmac.compare_digest(request.headers.get("authorization", ""),
                                                         f"Bearer {token}"):
            return Response("metrics need the operator's token\n", status_code=401, media_type="text/plain")
        async with state.pool.connection() as conn:
            figures = await store.operations_figures(conn)
        database = CollectorRegistry()
        database.register(DatabaseFigures(figures))
        return Response(process_metrics() + generate_latest(database), media_type=CONTENT_TYPE_LATEST)

    return metrics
