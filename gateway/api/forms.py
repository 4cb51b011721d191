"""Request parameters as Stripe's clients send them, decoded into plain nested values.

Stripe's form encoding flattens a tree into bracketed names::

    metadata[order]=42                         {"metadata": {"order": "42"}}
    line_items[0][price_data][unit_amount]=5   {"line_items": [{"price_data": {"unit_amount": "5"}}]}
    payment_method_types[]=card                {"payment_method_types": ["card"]}

Values stay strings (the parameter's type, known later, converts them), except the empty
string, which is Stripe's way of saying "unset" and becomes None. A container whose keys are
exactly 0..n-1 is a list. JSON bodies are accepted too and need no flattening.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from gateway.errors import InvalidParameter

FORM_NAME = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """The parameters of a request body, form-encoded (Stripe's default) or JSON."""
    if not body.strip():
        return {}
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            params = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise InvalidParameter(f"Invalid JSON body: {exc}") from None
        if not isinstance(params, dict):
            raise InvalidParameter("A JSON body must be an object.")
        _refuse_nul(params)
        return params
    return decode_query(body)


def decode_query(encoded: bytes | str) -> dict[str, Any]:
    if isinstance(encoded, bytes):
        try:
            encoded = encoded.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidParameter("Parameters must be UTF-8.") from None
    return decode_form(parse_qsl(encoded, keep_blank_values=True))


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Turn ``(name, value)`` pairs into a tree; a name given twice is an error naming it."""
    tree: dict[str, Any] = {}
    for name, value in pairs:
        path = _split_name(name)
        node = tree
        for depth, segment in enumerate(path[:-1]):
            child = node.setdefault(_resolve(node, segment), {})
            if not isinstance(child, dict):
                raise InvalidParameter(f"{_join(path[:depth + 1])} is given both as a value and as a container.",
                                       param=_join(path[: depth + 1]))
            node = child
        leaf = _resolve(node, path[-1])
        if leaf in node:
            raise InvalidParameter(f"Parameter {name} is given more than once.", param=name)
        node[leaf] = None if value == "" else value
    _refuse_nul(tree)
    return _listify(tree)


def _refuse_nul(node: Any, path: tuple[str, ...] = ()) -> None:
    """PostgreSQL text cannot hold NUL (U+0000): a parameter with one is the caller's error,
    said by name, before it reaches a query."""
    if isinstance(node, str) and "\x00" in node or any("\x00" in step for step in path):
        name = _join(list(path))
        raise InvalidParameter(f"Parameter {name} contains a NUL character.", param=name)
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        _refuse_nul(child, (*path, str(key)))


def _split_name(name: str) -> list[str]:
    match = FORM_NAME.fullmatch(name)
    if match is None:
        raise InvalidParameter(f"Invalid parameter name: {name!r}", param=name)
    return [match[1], *SEGMENT.findall(match[2])]


def _resolve(node: dict[str, Any], segment: str) -> str:
    # "[]" appends: it takes the next free index, so "a[]=x&a[]=y" is "a[0]=x&a[1]=y".
    return str(len(node)) if segment == "" else segment


def _join(path: list[str]) -> str:
    return path[0] + "".join(f"[{segment}]" for segment in path[1:])


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    children = {key: _listify(child) for key, child in node.items()}
    if children and sorted(children) == sorted(str(i) for i in range(len(children))):
        return [children[str(i)] for i in range(len(children))]
    return children
