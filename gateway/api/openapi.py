"""What the OpenAPI document says every /v1 route answers, as Stripe answers it.

Litestar documents a POST as 201 and an error as its own ``ValidationException``; the API
answers 200 to every success, as Stripe does, and every error with Stripe's error object at
the statuses of ``ERROR_RESPONSES``. The handlers return ready-made ``Response`` objects, so
these declarations change the document only, never an answer."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus

from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec

from gateway.api.errors import ERROR_RESPONSES, ErrorBody

STRIPE_ERRORS = {status: ResponseSpec(data_container=ErrorBody, description=HTTPStatus(status).phrase)
                 for status in sorted({status for status, _ in ERROR_RESPONSES.values()})}


def declare_stripe_answers(handlers: Sequence[HTTPRouteHandler]) -> Sequence[HTTPRouteHandler]:
    for handler in handlers:
        handler.status_code = HTTPStatus.OK
        handler.responses = {**STRIPE_ERRORS, **(handler.responses or {})}
    return handlers
