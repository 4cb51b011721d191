"""Stripe's list pages over one agency's objects in one mode: newest first, keyset-paged on
(created_at, id), so that rows inserted while a client pages never shift or repeat a page."""

from __future__ import annotations

from datetime import UTC, datetime
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


# A moment in Unix seconds that a datetime can hold (up to 9999-12-31T23:59:59Z, one second
# short, so that the bound after it can be made): beyond it is a bad parameter, not a 500.
UnixSeconds = Annotated[int, Meta(ge=0, le=253_402_300_798)]


class CreatedRange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Stripe's ``created[gt|gte|lt|lte]`` filter, in Unix seconds."""

    gt: UnixSeconds | None = None
    gte: UnixSeconds | None = None
    lt: UnixSeconds | None = None
    lte: UnixSeconds | None = None


# Stripe's ``created`` filter: one second (``created=<t>``) or a range.
Created = UnixSeconds | CreatedRange


def created_bounds(created: Created) -> tuple[datetime | None, datetime | None]:
    """The filter as [from, until) over ``created_at``, which keeps fractions of a second
    that ``created`` (whole seconds) does not show."""
    if isinstance(created, int):
        return _moment(created), _moment(created + 1)
    lowers = [t for t in (created.gte, None if created.gt is None else created.gt + 1) if t is not None]
    uppers = [t for t in (created.lt, None if created.lte is None else created.lte + 1) if t is not None]
    return (_moment(max(lowers)) if lowers else None), (_moment(min(uppers)) if uppers else None)


def _moment(unix_s: int) -> datetime:
    return datetime.fromtimestamp(unix_s, UTC)


class Page(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Any]
    has_more: bool


CURSOR = """
SELECT created_at, id FROM {table}
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s AND id = %(id)s
"""

PAGE = """
SELECT {columns} FROM {table}
 WHERE agency_code = %(agency_code)s AND livemode = %(livemode)s {filters} {created} {after_cursor}
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
    created: Created | None = None,
) -> Page:
    """One page of ``gateway.<table>`` rows; ``filters`` are column = value conditions,
    ``created`` Stripe's filter on the creation time."""
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
        created=_created_condition(created, values),
        direction=sql.SQL("DESC" if older else "ASC"),
    )
    async with conn.cursor(row_factory=row_factory) as cur:
        rows = await (await cur.execute(query, values)).fetchall()
    items = rows[: params.limit]
    return Page(items=items if older else items[::-1], has_more=len(rows) > params.limit)


def _created_condition(created: Created | None, values: dict[str, Any]) -> sql.Composable:
    if created is None:
        return sql.SQL("")
    values["created_from"], values["created_until"] = created_bounds(created)
    # Only the bounds given, so that the plan uses the list's index on created_at for them.
    return sql.SQL(" ").join(sql.SQL(condition) for condition, bound in (
        ("AND created_at >= %(created_from)s", values["created_from"]),
        ("AND created_at < %(created_until)s", values["created_until"])) if bound is not None)
