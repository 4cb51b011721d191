"""What the OpenAPI document says about the /v1 routes, as Stripe's API behaves.

Answers: Litestar documents a POST as 201 and an error as its own ``ValidationException``;
the API answers 200 to every success, as Stripe does, and every error with Stripe's error
object at the statuses of ``ERROR_RESPONSES``.

Parameters and answers: the handlers read their parameters themselves (Stripe's form
encoding, then ``convert_params`` into a Struct) and return ready-made responses, so Litestar
sees neither; ``documented`` declares, with msgspec's own JSON schemas (those of the Structs
that decode and encode them), the answer of 200 and the parameters' Struct as the request
body (POST) or as query parameters (GET). Only JSON bodies are described: Stripe's bracketed
form names (``metadata[k]=v``, ``line_items[0][quantity]=1``) have no OpenAPI 3.1 encoding
that says the same thing.

These declarations change the document only, never an answer: the handlers return
ready-made ``Response`` objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Parameter, RequestBody

from gateway.api.errors import ERROR_RESPONSES, ErrorBody
from gateway.api.expanding import PARAM
from gateway.api.params import NoParams

EXPAND_QUERY_NAME = f"{PARAM}[]"
STRIPE_ERRORS = {status: ResponseSpec(data_container=ErrorBody, description=HTTPStatus(status).phrase)
                 for status in sorted({status for status, _ in ERROR_RESPONSES.values()})}


def declare_stripe_answers(handlers: Sequence[HTTPRouteHandler]) -> Sequence[HTTPRouteHandler]:
    for handler in handlers:
        handler.status_code = HTTPStatus.OK
        handler.responses = {**STRIPE_ERRORS, **(handler.responses or {})}
    return handlers


def documented(answer: Any, params: type[msgspec.Struct] | None = None, *,
               where: Literal["body", "query"] = "body", expand: frozenset[str] = frozenset()) -> type[Operation]:
    """An ``operation_class`` for a handler that answers ``answer`` (a Struct, or
    ``list_of(Struct)``) and converts its parameters, if any, into ``params``: from its body
    (``where="body"``) or its query string (``where="query"``). ``expand``: the paths its
    ``expand`` parameter takes (``data.``-prefixed for a list), as ``expand`` in a body and
    ``expand[]`` in a query string, the names Stripe's clients send."""
    answer_schema = _inline(msgspec.json.schema(answer))
    params_schema = _inline(msgspec.json.schema(params)) if params is not None else None
    if expand:
        params_schema = _with_expand(params_schema or _inline(msgspec.json.schema(NoParams)), expand, where)

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            answer = OpenAPIMediaType(schema=answer_schema)  # type: ignore[arg-type]
            self.responses = {**(self.responses or {}),
                              "200": OpenAPIResponse(description="OK", content={"application/json": answer})}
            if params_schema is None:
                return
            if where == "body":
                self.request_body = RequestBody(
                    required=bool(params_schema.get("required")),
                    description="Form-encoded as Stripe's clients send it, or this JSON object.",
                    content={"application/json": OpenAPIMediaType(schema=params_schema)})  # type: ignore[arg-type]
            else:
                self.parameters = [*(self.parameters or []), *(
                    Parameter(name=name, param_in="query", required=name in params_schema.get("required", ()),
                              schema=property_schema,  # type: ignore[arg-type]
                              **({"style": "form", "explode": True} if name == EXPAND_QUERY_NAME else {}))
                    for name, property_schema in params_schema["properties"].items())]

    return DocumentedOperation


def _with_expand(schema: dict[str, Any], expand: frozenset[str], where: Literal["body", "query"]) -> dict[str, Any]:
    """``schema`` with the ``expand`` parameter: a list of the paths, repeated in a query
    string as ``expand[]=a&expand[]=b``."""
    name = PARAM if where == "body" else EXPAND_QUERY_NAME
    paths = {"type": "array", "items": {"type": "string", "enum": sorted(expand)},
             "description": "Properties to show whole rather than by id (or, if includable, at all)."}
    return {**schema, "properties": {**schema["properties"], name: paths}}


def list_of(item: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """Stripe's list object of ``item``s, as ``gateway.api.responses.list_response`` writes it."""
    return msgspec.defstruct(f"{item.__name__}List", [("object", Literal["list"]), ("url", str), ("has_more", bool),
                                                      ("data", list[item])], kw_only=True)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec's schema with its ``$defs`` written in place: a ``$ref`` in an operation would
    be read against the whole document, where ``$defs`` is not."""
    definitions = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items() if key != "$defs"}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)
