"""Encoding answers: one object, or Stripe's list object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import msgspec
from litestar import Response

from gateway.listing import Page


class ListObject(msgspec.Struct, frozen=True, kw_only=True):
    object: Literal["list"] = "list"
    url: str
    has_more: bool
    data: list[Any]


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def object_response(resource: msgspec.Struct) -> Response:
    return json_response(msgspec.json.encode(resource))


def list_response(url: str, page: Page, as_resource: Callable[[Any], msgspec.Struct]) -> Response:
    data = [as_resource(item) for item in page.items]
    return object_response(ListObject(url=url, has_more=page.has_more, data=data))
