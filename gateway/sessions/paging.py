"""Stripe's list pages over a session's line items, which are kept in the order the agency
gave them (and so listed in it, as Stripe lists them)."""

from __future__ import annotations

from gateway.errors import InvalidParameter, ResourceMissing
from gateway.listing import ListParams, Page
from gateway.sessions.model import LineItem


def page_of_line_items(items: list[LineItem], params: ListParams) -> Page:
    if params.starting_after and params.ending_before:
        raise InvalidParameter("You may only specify one of these parameters: starting_after, ending_before.",
                               param="ending_before")
    if params.ending_before:
        end = _position(items, params.ending_before, "ending_before")
        start = max(0, end - params.limit)
        return Page(items=items[start:end], has_more=start > 0)
    start = _position(items, params.starting_after, "starting_after") + 1 if params.starting_after else 0
    return Page(items=items[start:start + params.limit], has_more=len(items) > start + params.limit)


def _position(items: list[LineItem], item_id: str, param: str) -> int:
    for position, item in enumerate(items):
        if item.id == item_id:
            return position
    raise ResourceMissing(f"No such object: '{item_id}'", param=param)
