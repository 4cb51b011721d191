"""Structured logs: one JSON object per line, each carrying the id of the request it
happened in (the ``Request-Id`` its response carries and its events record), so that an
operator can follow a payment from its request through its callback, ledger transfer and
webhook by that id and the payment's own ids, which the log lines name."""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime

import msgspec
from litestar.types import ASGIApp, Receive, Scope, Send

from gateway.api.request_id import request_id

CURRENT_REQUEST_ID: ContextVar[str | None] = ContextVar("publicpay_request_id", default=None)

# The fields a log call may add with ``extra=``: ids that let an operator join lines up.
# Anything else passed as extra stays out of the line, so a careless extra cannot leak
# a secret or a citizen's data into it.
CORRELATION_FIELDS = ("payment_intent", "attempt_ref", "provider", "refund", "event", "run")

_encoder = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request = CURRENT_REQUEST_ID.get()
        if request is not None:
            line["request_id"] = request
        for name in CORRELATION_FIELDS:
            if name in record.__dict__:
                line[name] = str(record.__dict__[name])
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(line).decode()


def logging_config(level: str, output_format: str) -> dict:
    """A ``logging.config.dictConfig`` for the server's processes (uvicorn's loggers too)."""
    formatter = {"()": JsonFormatter} if output_format == "json" else {
        "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error")},
    }


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Makes the request's id current for every log line written while it is handled."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        token = CURRENT_REQUEST_ID.set(request_id(scope))
        try:
            await app(scope, receive, send)
        finally:
            CURRENT_REQUEST_ID.reset(token)

    return middleware
