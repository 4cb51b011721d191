"""Reconciliation's SQL: runs and their step markers, the staging of settlement lines by
COPY, set-based classification against the ledger, totals, locks and closed days.

How the gateway books what reconciliation matches (the contract between the two):

- Accounts: ``provider:<P>:clearing`` (asset, debit normal), ``bank:<S>:settlement``
  (asset), ``fees:provider:<P>`` (expense), ``agency:<A>:payable`` (liability, credit
  normal, debits_must_not_exceed_credits), ``treasury:<A>`` (credit normal), ``suspense``
  (liability). A run creates the provider, bank, fee, suspense and treasury accounts it
  needs (idempotently); the catalogue creates the agencies' payable accounts.
- A confirmed payment is one or more posted transfers (several when the fee is split
  between agencies) of kind ``payment``, debit ``provider:<P>:clearing``, credit
  ``agency:<A>:payable``, each with ``external_ref`` = the attempt reference
  (``SettlementLine.attempt_ref``); its gross is their sum.
- A refund is a pending transfer of kind ``refund``, debit ``agency:<A>:payable``, credit
  ``provider:<P>:clearing``, ``external_ref`` = the refund reference, posted (PostPending,
  same ``external_ref``) when the provider confirms; only the posted refund is matched.
- A payment's business day is its transfer's ``created_at`` in Asia/Ho_Chi_Minh; a
  settlement line's ``settlement_date`` is the day the provider pays it out.
- Reconciliation's own postings carry ids derived from (provider, day, purpose) (see
  :mod:`reconciliation.postings`), so a repeated run posts nothing new.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import TypeVar

import msgspec

from psycopg import AsyncConnection
from psycopg.rows import BaseRowFactory, kwargs_row

from providers.model import SettlementLine
from reconciliation.errors import DayClosed, RunInputsChanged, RunLocked
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.runs import ProviderSetup, Run, RunStep, SettlementTotals

# Advisory lock keys: (class, object) pairs, the class apart from the migration lock's.
RUN_LOCK_CLASS = 0x7265_636F  # "reco": one run per provider and day
DAY_LOCK_CLASS = 0x7265_6364  # "recd": posting into a day against closing it
SCHEDULE_LOCK_KEY = 0x7265_636F_6E63  # the nightly job, across every gateway process
COPY_PROGRESS_EVERY = 10_000
# A provider settles a payment within this many days of its booking: the files of the
# provider's runs this close to a day are where a payment of the day booked on the other
# side of midnight, or after its line's run, is found.
NEARBY_DAYS = 7

T = TypeVar("T")


@cache
def query(name: str) -> str:
    return (resources.files("reconciliation") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def struct_rows(type_: type[T]) -> BaseRowFactory[T]:
    """Rows as msgspec Structs, converted (enums, nested values) rather than just passed in."""
    return kwargs_row(lambda **columns: msgspec.convert(columns, type_))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The business day as [start, end) instants: midnight to midnight in Vietnam."""
    starts = datetime.combine(day, time(), BUSINESS_TIME_ZONE)
    return starts, starts + timedelta(days=1)


# ---------------------------------------------------------------- locks and closed days

@contextlib.asynccontextmanager
async def run_lock(conn: AsyncConnection, provider: str, day: date) -> AsyncIterator[None]:
    """Hold the (provider, day) lock for the block; RunLocked if another session has it.

    A session lock, so it outlives the run's many transactions, and PostgreSQL drops it if
    the process dies: a crashed run never blocks its own resumption.
    """
    key = f"{provider}/{day.isoformat()}"
    row = await (await conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (RUN_LOCK_CLASS, key))).fetchone()
    if not row[0]:
        raise RunLocked(f"a reconciliation of {provider} for {day} is running in another session")
    try:
        yield
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (RUN_LOCK_CLASS, key))


async def refuse_if_closed(conn: AsyncConnection, day: date) -> None:
    """Call inside the transaction that posts into ``day``: waits for a close in flight, and
    keeps the day from closing until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared(%s, hashtext(%s))", (DAY_LOCK_CLASS, day.isoformat()))
    row = await (await conn.execute("SELECT closed_at FROM recon.closed_days WHERE business_day = %s", (day,))).fetchone()
    if row is not None:
        raise DayClosed(f"business day {day} was closed at {row[0]:%Y-%m-%d %H:%M:%S %Z}; nothing posts into it")


async def close_day(conn: AsyncConnection, day: date, *, actor: str, reason: str) -> None:
    """Close ``day``: refused while one of its runs is unfinished or an exception is open."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (DAY_LOCK_CLASS, day.isoformat()))
        unfinished, still_open = await (await conn.execute(DAY_BLOCKERS, {"day": day})).fetchone()
        if unfinished or still_open:
            raise DayClosed(f"business day {day} cannot close: {unfinished} run(s) unfinished, "
                            f"{still_open} exception(s) open", code="day_not_ready")
        await conn.execute("INSERT INTO recon.closed_days (business_day, closed_by, reason) VALUES (%s, %s, %s)"
                           " ON CONFLICT DO NOTHING", (day, actor, reason))


DAY_BLOCKERS = """
SELECT count(*) FILTER (WHERE r.status <> 'completed'),
       (SELECT count(*) FROM recon.exceptions e JOIN recon.runs x ON x.id = e.run_id
         WHERE x.business_day = %(day)s AND e.status = 'open')
  FROM recon.runs r WHERE r.business_day = %(day)s
"""


# ---------------------------------------------------------------- runs

RUN_COLUMNS = """id, provider, business_day, bank, currency, status, steps_done, settlement_sha256, statement_sha256,
                 bank_entry_ref, counts, totals, attempts, started_at, finished_at"""


async def start_run(conn: AsyncConnection, setup: ProviderSetup, day: date, settlement_sha256: str) -> Run:
    """The run of (provider, day): a new one, or the earlier one to resume (same file)."""
    async with conn.cursor(row_factory=struct_rows(Run)) as cur:
        await cur.execute(f"""
            INSERT INTO recon.runs (provider, business_day, bank, currency, settlement_sha256)
            VALUES (%(provider)s, %(day)s, %(bank)s, %(currency)s, %(sha256)s)
            ON CONFLICT (provider, business_day) DO UPDATE SET attempts = recon.runs.attempts + 1
             WHERE recon.runs.settlement_sha256 = excluded.settlement_sha256
            RETURNING {RUN_COLUMNS}""", {"provider": setup.provider, "day": day, "bank": setup.bank,
                                         "currency": setup.currency, "sha256": settlement_sha256})
        run = await cur.fetchone()
    if run is None:
        raise RunInputsChanged(f"{setup.provider} {day} was reconciled from another settlement file than the one"
                               f" with sha256 {settlement_sha256}")
    return run


async def get_run(conn: AsyncConnection, run_id: int) -> Run:
    async with conn.cursor(row_factory=struct_rows(Run)) as cur:
        return await (await cur.execute(f"SELECT {RUN_COLUMNS} FROM recon.runs WHERE id = %s", (run_id,))).fetchone()


async def runs_of_day(conn: AsyncConnection, day: date, provider: str | None = None) -> list[Run]:
    async with conn.cursor(row_factory=struct_rows(Run)) as cur:
        await cur.execute(f"SELECT {RUN_COLUMNS} FROM recon.runs WHERE business_day = %s"
                          " AND (%s::text IS NULL OR provider = %s) ORDER BY provider", (day, provider, provider))
        return await cur.fetchall()


async def days_awaiting_statement(conn: AsyncConnection, since: date, before: date) -> list[tuple[date, list[str]]]:
    """Each day in [since, before) with runs waiting for their bank statement, and their providers."""
    return await (await conn.execute(
        "SELECT business_day, array_agg(provider ORDER BY provider) FROM recon.runs"
        " WHERE status = 'awaiting_statement' AND business_day >= %s AND business_day < %s"
        " GROUP BY business_day ORDER BY business_day", (since, before))).fetchall()


async def mark_step_done(conn: AsyncConnection, run_id: int, step: RunStep, **columns) -> None:
    """Record ``step`` as done (and set ``columns``); call in the step's own transaction."""
    assignments = "".join(f", {name} = %({name})s" for name in columns)
    await conn.execute(f"UPDATE recon.runs SET steps_done = array_append(steps_done, %(step)s){assignments}"
                       " WHERE id = %(id)s AND NOT %(step)s = ANY(steps_done)",
                       {"id": run_id, "step": step.value, **columns})


# ---------------------------------------------------------------- staging and classification

COPY_LINES = """COPY recon.settlement_lines (run_id, line_no, attempt_ref, provider_ref, kind, amount_minor, fee_minor,
                                           currency, transacted_at, settlement_date) FROM STDIN"""


async def copy_settlement_lines(conn: AsyncConnection, run_id: int, lines: Iterable[SettlementLine],
                                on_progress: Callable[[int], None]) -> int:
    """Stream ``lines`` into the staging table with COPY; return how many."""
    count = 0
    async with conn.cursor() as cur, cur.copy(COPY_LINES) as copy:
        for count, line in enumerate(lines, start=1):
            await copy.write_row((run_id, count, line.attempt_ref, line.provider_ref, line.kind, line.amount_minor,
                                  line.fee_minor, line.currency, line.transacted_at, line.settlement_date))
            if count % COPY_PROGRESS_EVERY == 0:
                on_progress(count)
    on_progress(count)
    return count


async def classify(conn: AsyncConnection, run_id: int, provider: str, clearing_id: int, day: date,
                   carry_window: timedelta) -> None:
    """Classify the file's lines, then the day's ledger entries the file left out."""
    day_starts, day_ends = day_bounds(day)
    params = {"run_id": run_id, "provider": provider, "clearing_id": clearing_id, "day": day,
              "day_starts": day_starts, "day_ends": day_ends, "carry_window": carry_window,
              "nearby_days": NEARBY_DAYS}
    # A fresh million rows in each table: later statements must plan with real counts, not
    # the handful the statistics knew of (a nested loop over a million rows never ends).
    await conn.execute("ANALYZE recon.settlement_lines")
    await conn.execute(query("classify_lines"), params)
    await conn.execute(query("classify_unsettled"), params)
    await conn.execute("ANALYZE recon.matches")


MISSING_IN_LEDGER = """
SELECT m.line_no, s.attempt_ref, s.kind, s.amount_minor, s.currency
  FROM recon.matches m JOIN recon.settlement_lines s ON s.run_id = m.run_id AND s.line_no = m.line_no
 WHERE m.run_id = %s AND m.match_class = 'missing_in_ledger'
 ORDER BY m.line_no
"""


async def lines_missing_in_ledger(conn: AsyncConnection, run_id: int) -> list[tuple[int, str, str, int, str]]:
    """(line_no, attempt_ref, kind, amount_minor, currency) of each line the ledger lacks."""
    return await (await conn.execute(MISSING_IN_LEDGER, (run_id,))).fetchall()


async def record_recovery(conn: AsyncConnection, run_id: int, line_no: int, attempt_ref: str, transfer_ids: str,
                          status_json: str) -> None:
    """The line is now proved: matched, with the provider's answer kept as evidence and the
    gateway's transfers (comma-separated ids) that booked it."""
    await conn.execute("INSERT INTO recon.recoveries (run_id, line_no, attempt_ref, transfer_id, status)"
                       " VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
                       (run_id, line_no, attempt_ref, transfer_ids, status_json))
    await mark_line_matched(conn, run_id, line_no)


async def mark_line_matched(conn: AsyncConnection, run_id: int, line_no: int) -> None:
    await conn.execute("UPDATE recon.matches SET match_class = 'matched' WHERE run_id = %s AND line_no = %s",
                       (run_id, line_no))


async def record_refused_attempt(conn: AsyncConnection, run_id: int, line_no: int, attempt_ref: str,
                                 attempt_json: str) -> None:
    """The line pays an attempt the gateway refused for its amount: so classed, with the attempt kept."""
    await conn.execute("INSERT INTO recon.refused_attempts (run_id, line_no, attempt_ref, attempt)"
                       " VALUES (%s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
                       (run_id, line_no, attempt_ref, attempt_json))
    await conn.execute("UPDATE recon.matches SET match_class = 'amount_mismatch_refused'"
                       " WHERE run_id = %s AND line_no = %s", (run_id, line_no))


async def late_bookings(conn: AsyncConnection, run_id: int, provider: str, clearing_id: int, day: date) -> list[int]:
    """The open exceptions of nearby runs whose missing payment the ledger has booked since (ids)."""
    rows = await (await conn.execute(query("late_bookings"), {
        "run_id": run_id, "provider": provider, "clearing_id": clearing_id, "day": day,
        "nearby_days": NEARBY_DAYS})).fetchall()
    return [exception_id for (exception_id,) in rows]


async def forget_unloaded_run(conn: AsyncConnection, run_id: int) -> None:
    """Delete a run whose file could not be loaded, unless a step of it was ever done."""
    await conn.execute("DELETE FROM recon.runs WHERE id = %s AND steps_done = '{}'", (run_id,))


async def open_exceptions(conn: AsyncConnection, run_id: int) -> None:
    await conn.execute(query("open_exceptions"), {"run_id": run_id})


# ---------------------------------------------------------------- totals

async def settlement_totals(conn: AsyncConnection, run_id: int, currency: str) -> SettlementTotals:
    row = await (await conn.execute(query("settlement_totals"), {"run_id": run_id, "currency": currency})).fetchone()
    names = ("gross_attributed_minor", "fee_attributed_minor", "gross_unattributed_minor", "fee_unattributed_minor")
    return SettlementTotals(**dict(zip(names, row)))


async def store_agency_totals(conn: AsyncConnection, run_id: int, clearing_id: int, day: date) -> None:
    day_starts, day_ends = day_bounds(day)
    await conn.execute(query("agency_totals"), {"run_id": run_id, "clearing_id": clearing_id,
                                                "day_starts": day_starts, "day_ends": day_ends})


async def settled_by_agency(conn: AsyncConnection, run_id: int) -> dict[str, int]:
    rows = await (await conn.execute("SELECT agency, settled_minor FROM recon.agency_totals WHERE run_id = %s"
                                     " ORDER BY agency", (run_id,))).fetchall()
    return dict(rows)


async def agency_legs(conn: AsyncConnection, clearing_id: int, attempt_ref: str, kind: str) -> dict[str, int]:
    """What the ledger booked for each agency under ``attempt_ref`` through this clearing
    account (refunds negative), by agency."""
    rows = await (await conn.execute(query("agency_legs"), {"clearing_id": clearing_id, "attempt_ref": attempt_ref,
                                                            "kind": kind})).fetchall()
    return dict(rows)


async def carry_settled_after_run(conn: AsyncConnection, exception_id: int, currency: str,
                                  amounts: dict[str, int]) -> None:
    """Money an exception's resolution settled for each agency, for a later remittance."""
    for agency, amount_minor in amounts.items():
        if amount_minor != 0:
            await conn.execute("INSERT INTO recon.remittance_carries (agency, currency, amount_minor, cause,"
                               " exception_id) VALUES (%s, %s, %s, 'settled_after_run', %s) ON CONFLICT DO NOTHING",
                               (agency, currency, amount_minor, exception_id))


async def carry_negative_settlement(conn: AsyncConnection, run_id: int, agency: str, currency: str,
                                    amount_minor: int) -> None:
    await conn.execute("INSERT INTO recon.remittance_carries (agency, currency, amount_minor, cause, run_id)"
                       " VALUES (%s, %s, %s, 'negative_settlement', %s) ON CONFLICT DO NOTHING",
                       (agency, currency, amount_minor, run_id))


class PendingCarries(msgspec.Struct, frozen=True, kw_only=True):
    ids_by_agency: dict[str, list[int]]
    sums_by_agency: dict[str, int]


async def pending_carries(conn: AsyncConnection, currency: str) -> PendingCarries:
    """The carries no remittance has taken yet, by agency, their rows locked until the
    transaction ends: a concurrent run waits, then finds them taken. Take them by these ids
    (a carry added meanwhile is not in these sums, and waits for the next remittance)."""
    rows = await (await conn.execute("SELECT id, agency, amount_minor FROM recon.remittance_carries"
                                     " WHERE taken_by_run_id IS NULL AND currency = %s ORDER BY id FOR UPDATE",
                                     (currency,))).fetchall()
    ids: dict[str, list[int]] = {}
    sums: dict[str, int] = {}
    for id_, agency, amount_minor in rows:
        ids.setdefault(agency, []).append(id_)
        sums[agency] = sums.get(agency, 0) + amount_minor
    return PendingCarries(ids_by_agency=ids, sums_by_agency=sums)


async def take_carries(conn: AsyncConnection, run_id: int, carry_ids: list[int]) -> None:
    await conn.execute("UPDATE recon.remittance_carries SET taken_by_run_id = %s WHERE id = ANY(%s)",
                       (run_id, carry_ids))


async def record_remittance(conn: AsyncConnection, run_id: int, agency: str, treasury: str, amount_minor: int,
                            currency: str, transfer_id: str) -> None:
    await conn.execute("INSERT INTO recon.remittances (run_id, agency, treasury_account, amount_minor, currency,"
                       " transfer_id) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                       (run_id, agency, treasury, amount_minor, currency, transfer_id))


async def count_classes(conn: AsyncConnection, run_id: int) -> dict[str, int]:
    rows = await (await conn.execute(COUNT_CLASSES, (run_id, run_id, run_id))).fetchall()
    return dict(rows)


COUNT_CLASSES = """
SELECT match_class, count(*) FROM recon.matches WHERE run_id = %s GROUP BY match_class
UNION ALL SELECT 'lines', count(*) FROM recon.settlement_lines WHERE run_id = %s
UNION ALL SELECT 'recovered', count(*) FROM recon.recoveries WHERE run_id = %s
"""
