"""What the console's finance pages read beyond reconciliation's own report: runs across
days, the figures of each day for the charts, the exceptions queue across days, days with
remittances. Reads only; writes go through reconciliation and the ledger (whose balances
and statements the ledger pages read through ledger.store)."""

from __future__ import annotations

from datetime import date

import msgspec
from psycopg import AsyncConnection

from gateway.console.statements import statement
from reconciliation.exceptions import SELECT_EXCEPTIONS
from reconciliation.runs import ReconException, Run
from reconciliation.store import RUN_COLUMNS, struct_rows


class DayFigures(msgspec.Struct, frozen=True, kw_only=True):
    """One run's figures for the charts (runs that have classified their lines)."""

    business_day: date
    provider: str
    lines: int
    matched: int


class CauseCount(msgspec.Struct, frozen=True, kw_only=True):
    match_class: str
    total: int
    still_open: int


class RemittanceDay(msgspec.Struct, frozen=True, kw_only=True):
    business_day: date
    batches: int
    amount_minor: int
    currency: str


async def list_runs(conn: AsyncConnection, *, day: date | None = None, provider: str | None = None,
                    limit: int = 100) -> list[Run]:
    async with conn.cursor(row_factory=struct_rows(Run)) as cur:
        await cur.execute(f"SELECT {RUN_COLUMNS} FROM recon.runs"
                          " WHERE (%(day)s::date IS NULL OR business_day = %(day)s)"
                          " AND (%(provider)s::text IS NULL OR provider = %(provider)s)"
                          " ORDER BY business_day DESC, provider LIMIT %(limit)s",
                          {"day": day, "provider": provider, "limit": limit})
        return await cur.fetchall()


async def find_run(conn: AsyncConnection, run_id: int) -> Run | None:
    async with conn.cursor(row_factory=struct_rows(Run)) as cur:
        return await (await cur.execute(f"SELECT {RUN_COLUMNS} FROM recon.runs WHERE id = %s", (run_id,))).fetchone()


async def day_closed(conn: AsyncConnection, day: date) -> tuple[str, str] | None:
    """(closed_by, reason) when ``day`` is closed."""
    return await (await conn.execute("SELECT closed_by, reason FROM recon.closed_days WHERE business_day = %s",
                                     (day,))).fetchone()


async def day_figures(conn: AsyncConnection, until: date, days: int) -> list[DayFigures]:
    """Every provider's figures over the ``days`` business days ending with ``until``."""
    async with conn.cursor(row_factory=struct_rows(DayFigures)) as cur:
        await cur.execute(statement("day_figures"), {"until": until, "days": days})
        return await cur.fetchall()


async def exceptions_by_cause(conn: AsyncConnection, run_id: int) -> list[CauseCount]:
    async with conn.cursor(row_factory=struct_rows(CauseCount)) as cur:
        await cur.execute("SELECT match_class, count(*) AS total, count(*) FILTER (WHERE status = 'open') AS still_open"
                          " FROM recon.exceptions WHERE run_id = %s GROUP BY match_class"
                          " ORDER BY total DESC, match_class", (run_id,))
        return await cur.fetchall()


async def exception_queue(conn: AsyncConnection, *, status: str | None, provider: str | None, after_id: int,
                          limit: int) -> list[ReconException]:
    """Exceptions across days, oldest first (the oldest open one is the most urgent)."""
    async with conn.cursor(row_factory=struct_rows(ReconException)) as cur:
        await cur.execute(SELECT_EXCEPTIONS + " WHERE (%(status)s::text IS NULL OR e.status = %(status)s)"
                          " AND (%(provider)s::text IS NULL OR r.provider = %(provider)s) AND e.id > %(after)s"
                          " ORDER BY e.id LIMIT %(limit)s",
                          {"status": status, "provider": provider, "after": after_id, "limit": limit})
        return await cur.fetchall()


async def find_exception(conn: AsyncConnection, exception_id: int) -> ReconException | None:
    async with conn.cursor(row_factory=struct_rows(ReconException)) as cur:
        return await (await cur.execute(SELECT_EXCEPTIONS + " WHERE e.id = %s", (exception_id,))).fetchone()


async def remittance_days(conn: AsyncConnection, limit: int = 60) -> list[RemittanceDay]:
    async with conn.cursor(row_factory=struct_rows(RemittanceDay)) as cur:
        await cur.execute("SELECT r.business_day, count(*) AS batches, sum(m.amount_minor)::bigint AS amount_minor,"
                          " m.currency FROM recon.remittances m JOIN recon.runs r ON r.id = m.run_id"
                          " GROUP BY r.business_day, m.currency ORDER BY r.business_day DESC, m.currency"
                          " LIMIT %s", (limit,))
        return await cur.fetchall()

