"""Stripe's list pages over one agency's objects in one mode: newest first, keyset-paged on
(created_at, id), so that rows inserted while a client pages never shift or repeat a page."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta
from psycopg import AsyncConnection, sql
from psycopg.rows import BaseRowFactory

from gateway.errors import InvalidParameter, ResourceMissing
from gateway.keys.model import Scope


class ListParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    limit: Annotated[int, Meta(ge=1, le=100)] = 10
    starting_after: str | None = None
    ending_before: str | None = None


class Page(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Any]
    has_more: bool


CURSOR = """
SELECT created_at, id FROM {table}
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = %(id)s
"""

PAGE = """
SELECT {columns} FROM {table}
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s {filters} {after_cursor}
 ORDER BY created_at {direction}, id {direction}
 LIMIT %(limit)s
"""


async def fetch_page(
    conn: AsyncConnection,
    *,
    table: str,
    columns: str,
    row_factory: BaseRowFactory,
    scope: Scope,
    params: ListParams,
    filters: dict[str, Any] | None = None,
) -> Page:
    """One page of ``gateway.<table>`` rows; ``filters`` are column = value conditions."""
    if params.starting_after and params.ending_before:
        raise InvalidParameter("You may only specify one of these parameters: starting_after, ending_before.",
                               param="ending_before")
    table_name = sql.Identifier("gateway", table)
    filters = filters or {}
    values = {"agency_code": scope.agency_code, "livemode": scope.livemode, "limit": params.limit + 1}
    values |= {f"filter_{name}": value for name, value in filters.items()}
    cursor_param, cursor_id = (
        ("ending_before", params.ending_before) if params.ending_before else ("starting_after", params.starting_after)
    )
    # Newest first: a page "starting after" an object holds older ones; "ending before" one
    # holds newer ones, fetched oldest first and then reversed.
    older = cursor_param == "starting_after"
    after_cursor = sql.SQL("")
    if cursor_id:
        row = await (await conn.execute(sql.SQL(CURSOR).format(table=table_name), values | {"id": cursor_id})).fetchone()
        if row is None:
            raise ResourceMissing(f"No such object: '{cursor_id}'", param=cursor_param)
        values |= {"cursor_created_at": row[0], "cursor_id": row[1]}
        after_cursor = sql.SQL("AND (created_at, id) {} (%(cursor_created_at)s, %(cursor_id)s)").format(
            sql.SQL("<" if older else ">"))
    query = sql.SQL(PAGE).format(
        columns=sql.SQL(columns),
        table=table_name,
        filters=sql.SQL(" ").join(
            sql.SQL("AND {} = {}").format(sql.Identifier(name), sql.Placeholder(f"filter_{name}")) for name in filters),
        after_cursor=after_cursor,
        direction=sql.SQL("DESC" if older else "ASC"),
    )
    async with conn.cursor(row_factory=row_factory) as cur:
        rows = await (await cur.execute(query, values)).fetchall()
    items = rows[: params.limit]
    return Page(items=items if older else items[::-1], has_more=len(rows) > params.limit)
