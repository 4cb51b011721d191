"""The catalogue's reads and writes: agencies (with their ledger accounts), services, base
salaries and violation codes. Every function takes the caller's connection.

This is the read API the HTTP layer wraps: ``list_services`` (search ignores diacritics),
``get_service``, ``get_agency``; pricing is ``catalogue.quoting.price_service``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

import msgspec
from psycopg import AsyncConnection, sql

from catalogue.definitions import Service
from catalogue.errors import Conflict, InvalidInput, NotFound
from catalogue.folding import fold, search_terms
from catalogue.model import CURRENCY, Agency, BaseSalary, Violation, payable_account, treasury_account
from ledger.errors import AccountError
from ledger.model import AccountSpec, NormalSide
from ledger.store import create_account

AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
SERVICE_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}$")
MAX_PAGE = 100


# ---------------------------------------------------------------- agencies

SELECT_AGENCIES = """
SELECT jsonb_build_object('code', code, 'kind', kind, 'name_vi', name_vi, 'name_en', name_en,
                          'parent_code', parent_code,
                          'treasury', jsonb_build_object('treasury_code', treasury_code,
                                                         'account_number', treasury_account_number))::text
  FROM catalogue.agencies
"""


async def get_agency(conn: AsyncConnection, code: str) -> Agency:
    if not AGENCY_CODE.match(code):
        raise InvalidInput("agency_code", "malformed", f"{code!r} is not an agency code (2–16 capitals and digits)")
    rows = await _agencies(conn, " WHERE code = %s", (code,))
    if not rows:
        raise NotFound("agency_code", "unknown_agency", f"no agency {code!r}")
    return rows[0]


async def list_agencies(conn: AsyncConnection) -> list[Agency]:
    return await _agencies(conn, " ORDER BY code", ())


async def _agencies(conn: AsyncConnection, where: str, params: tuple) -> list[Agency]:
    rows = await (await conn.execute(SELECT_AGENCIES + where, params)).fetchall()
    return [msgspec.json.decode(row, type=Agency) for (row,) in rows]


async def save_agencies(conn: AsyncConnection, agencies: Sequence[Agency]) -> tuple[int, int]:
    """Create or update agencies, and open each one's ledger accounts; (created, updated).

    Callers check references first (``catalogue.loading.check_references``); PostgreSQL
    checks them again.
    """
    rows = [{"code": a.code, "kind": a.kind, "name_vi": a.name_vi, "name_en": a.name_en, "parent_code": a.parent_code,
             "treasury_code": a.treasury.treasury_code, "treasury_account_number": a.treasury.account_number}
            for a in agencies]
    async with conn.transaction():
        counts = await _upsert(conn, "agencies", "code", rows, stamp=True)
        for agency in agencies:
            await open_agency_accounts(conn, agency.code)
    return counts


async def open_agency_accounts(conn: AsyncConnection, code: str) -> None:
    """The agency's payable account (what we owe it; never overdrawn) and its treasury
    account (what has been remitted to it), for live and for test-mode money; idempotent."""
    specs = [
        spec
        for livemode in (True, False)
        for spec in (
            AccountSpec(code=payable_account(code, livemode=livemode), currency=CURRENCY,
                        normal_side=NormalSide.CREDIT, debits_must_not_exceed_credits=True,
                        metadata={"agency": code, "livemode": livemode}),
            AccountSpec(code=treasury_account(code, livemode=livemode), currency=CURRENCY,
                        normal_side=NormalSide.CREDIT, metadata={"agency": code, "livemode": livemode}),
        )
    ]
    for spec in specs:
        try:
            await create_account(conn, spec)
        except AccountError as exc:
            raise Conflict("agency_code", exc.code, f"agency {code}: ledger account {spec.code}: {exc}") from None


# ---------------------------------------------------------------- services

async def get_service(conn: AsyncConnection, code: str) -> Service:
    """The service with ``code``, active or not (a payment started before it was withdrawn
    must still be priced and booked)."""
    if not SERVICE_CODE.match(code):
        raise InvalidInput("service_code", "malformed", f"{code!r} is not a service code (like BTP-CHUNGTHUC)")
    row = await (await conn.execute("SELECT definition::text FROM catalogue.services WHERE code = %s", (code,))).fetchone()
    if row is None:
        raise NotFound("service_code", "unknown_service", f"no service {code!r}")
    return msgspec.json.decode(row[0], type=Service)


async def list_services(
    conn: AsyncConnection,
    *,
    query: str | None = None,
    agency_code: str | None = None,
    include_inactive: bool = False,
    starting_after: str | None = None,
    limit: int = 20,
) -> list[Service]:
    """Services in code order. ``query`` matches when each of its words is in the code or a
    name, ignoring case and diacritics (``giay phep lai xe`` finds ``Giấy phép lái xe``).
    Pages as Stripe lists do: pass the last code seen as ``starting_after``."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput("limit", "out_of_range", f"must be between 1 and {MAX_PAGE}, not {limit}")
    conditions, params = [sql.SQL("TRUE")], []
    for term in search_terms(query or ""):
        conditions.append(sql.SQL("strpos(search_text, %s) > 0"))
        params.append(term)
    if agency_code is not None:
        conditions.append(sql.SQL("agency_code = %s"))
        params.append(agency_code)
    if not include_inactive:
        conditions.append(sql.SQL("active"))
    if starting_after is not None:
        conditions.append(sql.SQL("code > %s"))
        params.append(starting_after)
    statement = sql.SQL("SELECT definition::text FROM catalogue.services WHERE {} ORDER BY code LIMIT %s").format(
        sql.SQL(" AND ").join(conditions))
    rows = await (await conn.execute(statement, [*params, limit])).fetchall()
    return [msgspec.json.decode(row, type=Service) for (row,) in rows]


async def save_services(conn: AsyncConnection, services: Sequence[Service]) -> tuple[int, int]:
    """Create or update services; (created, updated). References are the caller's to check."""
    rows = [{"code": s.code, "agency_code": s.agency_code, "name_vi": s.name_vi, "name_en": s.name_en,
             "search_text": fold(f"{s.code} {s.name_vi} {s.name_en}"), "online_level": s.online_level,
             "currency": s.currency, "active": s.active, "definition": msgspec.to_builtins(s)}
            for s in services]
    return await _upsert(conn, "services", "code", rows, stamp=True)


# ---------------------------------------------------------------- the law's numbers

async def save_base_salaries(conn: AsyncConnection, salaries: Sequence[BaseSalary]) -> tuple[int, int]:
    return await _upsert(conn, "base_salaries", "effective_from", [msgspec.to_builtins(s) for s in salaries])


async def base_salary_on(conn: AsyncConnection, day: date) -> int:
    """The base salary in force on ``day``."""
    row = await (await conn.execute(
        "SELECT amount_minor FROM catalogue.base_salaries WHERE effective_from <= %s"
        " ORDER BY effective_from DESC LIMIT 1", (day,))).fetchone()
    if row is None:
        raise Conflict("priced_on", "no_base_salary", f"the catalogue has no base salary in force on {day}")
    return row[0]


async def save_violations(conn: AsyncConnection, violations: Sequence[Violation]) -> tuple[int, int]:
    return await _upsert(conn, "violations", "code", [msgspec.to_builtins(v) for v in violations])


async def get_violations(conn: AsyncConnection, codes: Sequence[str]) -> dict[str, Violation]:
    rows = await (await conn.execute(
        "SELECT to_jsonb(v)::text FROM catalogue.violations v WHERE code = ANY(%s)", (list(codes),))).fetchall()
    return {violation.code: violation for violation in (msgspec.json.decode(row, type=Violation) for (row,) in rows)}


# ---------------------------------------------------------------- one upsert for every table

async def _upsert(conn: AsyncConnection, table: str, key: str, rows: list[dict], *, stamp: bool = False) -> tuple[int, int]:
    """Insert ``rows`` or update the rows with their key, in one statement; a row whose
    values are already those is not touched (nor its ``updated_at``). (created, updated)."""
    if not rows:
        return 0, 0
    columns = list(rows[0])
    others = [c for c in columns if c != key]
    target = sql.Identifier("catalogue", table)
    statement = sql.SQL("""
        INSERT INTO {target} AS t ({columns})
        SELECT {columns} FROM jsonb_populate_recordset(NULL::{target}, %s::jsonb)
            ON CONFLICT ({key}) DO UPDATE SET ({others}) = ROW({new_values})
         WHERE ({old}) IS DISTINCT FROM ({new})
        RETURNING xmax = 0
    """).format(
        target=target,
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        key=sql.Identifier(key),
        others=sql.SQL(", ").join(map(sql.Identifier, others + ["updated_at"] * stamp)),
        new_values=sql.SQL(", ").join([sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others]
                                      + [sql.SQL("now()")] * stamp),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in others),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in others),
    )
    # xmax is 0 on a row this statement inserted and set on one it updated: PostgreSQL's
    # own way of telling the two apart in ON CONFLICT ... RETURNING.
    flags = await (await conn.execute(statement, (msgspec.json.encode(rows).decode(),))).fetchall()
    created = sum(1 for (inserted,) in flags if inserted)
    return created, len(flags) - created
