"""Stripe's ``expand[]``: a request names properties to show whole instead of by id (or,
for an includable one such as a Checkout Session's ``line_items``, to show at all). In a
list each path starts with ``data.``, as Stripe takes them. A path the object cannot expand
is refused as Stripe refuses it: 400, "This property cannot be expanded (<path>)."

An endpoint whose object has expansions takes ``expand`` out of its parameters here;
``gateway.api.params.convert_params`` refuses it for every other one, naming the path."""

from __future__ import annotations

from typing import Any

from gateway.errors import InvalidParameter

PARAM = "expand"
MAX_LEVELS = 4  # Stripe's: a.b.c.d at the most
LIST_PREFIX = "data."


def take_expansions(params: dict[str, Any], expandable: frozenset[str], *,
                    listing: bool = False) -> tuple[dict[str, Any], frozenset[str]]:
    """``params`` without ``expand``, and the paths it asks for (relative to each object of a
    list, when ``listing``), every one of them in ``expandable``."""
    if PARAM not in params:  # most requests: nothing to copy
        return params, frozenset()
    rest = {name: value for name, value in params.items() if name != PARAM}
    asked = set()
    for path in asked_paths(params):
        relative = path.removeprefix(LIST_PREFIX) if listing else path
        if listing and not path.startswith(LIST_PREFIX):
            hint = f" You may want to try expanding '{LIST_PREFIX}{path}' instead." if path in expandable else ""
            raise cannot_expand(path, hint)
        if relative not in expandable:
            raise cannot_expand(path)
        asked.add(relative)
    return rest, frozenset(asked)


def list_paths(expandable: frozenset[str]) -> frozenset[str]:
    """The paths a list of objects with ``expandable`` takes, as requests spell them."""
    return frozenset(LIST_PREFIX + path for path in expandable)


def asked_paths(params: dict[str, Any]) -> list[str]:
    """The paths ``expand`` names, in the order given (none when it is absent)."""
    paths = params.get(PARAM)
    if paths is None:
        return []
    if not isinstance(paths, list) or not all(isinstance(path, str) and path for path in paths):
        raise InvalidParameter("Invalid array", param=PARAM)
    for path in paths:
        if path.count(".") >= MAX_LEVELS:
            raise InvalidParameter(f"You cannot expand more than {MAX_LEVELS} levels of a property.", param=PARAM)
    return paths


def cannot_expand(path: str, hint: str = "") -> InvalidParameter:
    return InvalidParameter(f"This property cannot be expanded ({path}).{hint}", param=PARAM)
