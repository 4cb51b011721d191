"""A request's parameters: read from its body or query string, then converted into typed
Structs, with msgspec's errors told in Stripe's terms."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from gateway.api.expanding import take_expansions
from gateway.api.forms import decode_body, decode_query
from gateway.errors import InvalidParameter

T = TypeVar("T")

# msgspec says "... - at `$.line_items[0].price_data`"; Stripe says "line_items[0][price_data]".
ERROR_PATH = re.compile(r"^(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")
PATH_STEP = re.compile(r"\.([^.\[]+)|(\[[^\]]*\])")


class NoParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """For endpoints that take none: any parameter given is refused by name."""


async def body_params(request: Request) -> dict[str, Any]:
    return decode_body(await request.body(), request.headers.get("content-type", ""))


def query_params(request: Request) -> dict[str, Any]:
    return decode_query(request.scope["query_string"])


async def refuse_nul_in_path(request: Request) -> None:
    """A ``before_request`` hook for every route: an id in the path reaches a query, and
    PostgreSQL text cannot hold NUL (parameters are checked as they are decoded)."""
    if "\x00" in request.scope["path"]:
        raise InvalidParameter("The request's path contains a NUL character.")


def convert_params(params: dict[str, Any], into: type[T]) -> T:
    # An object with expansions took ``expand`` out already (gateway.api.expanding); for any
    # other, every path asked for is refused by name.
    params = take_expansions(params, frozenset())[0]
    try:
        # Form values arrive as strings: strict=False lets "1000" become 1000 and "true" True.
        return msgspec.convert(params, into, strict=False)
    except msgspec.ValidationError as exc:
        raise _stripe_error(str(exc)) from None


def _stripe_error(message: str) -> InvalidParameter:
    match = ERROR_PATH.match(message)
    text, parent = match["text"], _stripe_path(match["path"] or "")
    if field := _quoted(text, "Object contains unknown field `"):
        param = _child(parent, field)
        return InvalidParameter(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")
    if field := _quoted(text, "Object missing required field `"):
        param = _child(parent, field)
        return InvalidParameter(f"Missing required param: {param}.", param=param, code="parameter_missing")
    code = "parameter_invalid_integer" if text.startswith("Expected `int`") else "parameter_invalid"
    return InvalidParameter(f"Invalid {parent}: {text[0].lower()}{text[1:]}", param=parent or None, code=code)


def _quoted(text: str, lead: str) -> str | None:
    return text[len(lead):].split("`")[0] if text.startswith(lead) else None


def _stripe_path(path: str) -> str:
    # msgspec names a dict's value "[...]", not by its key: the path stops at the dict.
    steps = [name if name else index for name, index in PATH_STEP.findall(path) if index != "[...]"]
    if not steps:
        return ""
    return steps[0] + "".join(step if step.startswith("[") else f"[{step}]" for step in steps[1:])


def _child(parent: str, field: str) -> str:
    return f"{parent}[{field}]" if parent else field
