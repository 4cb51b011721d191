"""What the operator watches: /metrics summed over the server's workers, and JSON log
lines that carry the request's id."""

import json
import logging
import re

import httpx
import pytest

from gateway.observability.logs import JsonFormatter
from gateway.settings import Settings
from tests.gateway.test_app import app_client


def sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when it is absent)."""
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line) or re.fullmatch(rf"{name} (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1))) if match.lastindex == 2 else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(match.lastindex))
    return 0.0


def test_request_counts_are_summed_over_every_worker(api_url):
    before = httpx.get(f"{api_url}/metrics").text
    for _ in range(40):  # over keep-alive-free requests the two workers share them
        assert httpx.get(f"{api_url}/healthz").status_code == 200
    after = httpx.get(f"{api_url}/metrics").text
    labels = {"path": "/healthz", "method": "GET", "status_code": "200"}
    assert sample(after, "publicpay_http_requests_total", **labels) - \
        sample(before, "publicpay_http_requests_total", **labels) == 40
    assert sample(after, "publicpay_http_request_duration_seconds_count", path="/healthz") >= 40


def test_routes_are_counted_by_their_template_not_their_ids(client, api_url):
    intent = client.v1.payment_intents.create(params={"amount": 150_000, "currency": "vnd"})
    client.v1.payment_intents.retrieve(intent.id)
    metrics = httpx.get(f"{api_url}/metrics").text
    assert intent.id not in metrics
    assert sample(metrics, "publicpay_http_requests_total", path="/v1/payment_intents/{intent_id}",
                  method="GET", status_code="200") >= 1


def test_the_database_figures_are_in_every_scrape(api_url):
    metrics = httpx.get(f"{api_url}/metrics").text
    for name in ("publicpay_outbox_backlog", "publicpay_outbox_oldest_due_seconds",
                 "publicpay_reconciliation_exceptions_open"):
        assert re.search(rf"^{name} \d", metrics, re.MULTILINE), name


def test_a_refused_callback_is_counted_by_provider_and_reason(api_url):
    before = httpx.get(f"{api_url}/metrics").text
    assert httpx.get(f"{api_url}/callbacks/vnpay", params={"vnp_TxnRef": "PAforged", "vnp_SecureHash": "00"}
                     ).status_code == 200
    after = httpx.get(f"{api_url}/metrics").text
    assert sample(after, "publicpay_callback_refusals_total", provider="vnpay") > \
        sample(before, "publicpay_callback_refusals_total", provider="vnpay")


async def test_metrics_need_the_token_when_one_is_set(database_url):
    settings = Settings(metrics_token="s3cret")
    async with app_client(database_url, settings) as (client, _):
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert allowed.status_code == 200
    assert "publicpay_outbox_backlog" in allowed.text


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@pytest.fixture
def log_lines():
    handler = Lines()
    logging.getLogger().addHandler(handler)
    yield handler.lines
    logging.getLogger().removeHandler(handler)


async def test_a_log_line_carries_the_id_of_the_request_it_was_written_in(database_url, log_lines):
    async with app_client(database_url) as (client, _):
        answer = await client.get("/callbacks/vnpay", params={"vnp_TxnRef": "PAforged", "vnp_SecureHash": "00"})
    refused = [line for line in log_lines if "callback refused" in line["message"]]
    assert refused and refused[0]["request_id"] == answer.headers["Request-Id"]
    assert refused[0]["level"] == "WARNING" and refused[0]["logger"] == "gateway.payments.callbacks"


def test_only_correlation_ids_are_taken_from_a_log_call_s_extras():
    record = logging.LogRecord("publicpay", logging.INFO, __file__, 1, "paid %s", ("pi_1",), None)
    record.payment_intent = "pi_1"
    record.card_number = "4242424242424242"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "paid pi_1" and line["payment_intent"] == "pi_1"
    assert "4242424242424242" not in json.dumps(line)
    assert "request_id" not in line  # written outside any request
