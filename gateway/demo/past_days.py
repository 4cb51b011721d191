"""The demo's earlier business days (``--days`` above 1): each is lived by a child
``publicpay demo --days 1 --no-serve`` whose clock libfaketime has moved back whole days.

The ledger, the gateway and reconciliation stamp what they record with the clock
(PostgreSQL's now() and clock_timestamp(), Python's datetime.now()), and no clock is passed
to them. libfaketime, preloaded (LD_PRELOAD) into the child, moves the wall clock of every
process the child starts as well: its embedded PostgreSQL, the server's workers and
sandboxes, its webhook receiver and its reconcile. The time of day is kept, and the
monotonic clock stays real, so that timeouts and waits measure real seconds.

Time only moves forward on a home: the days run oldest first, each child starts and stops
the home's PostgreSQL itself, and a home that already holds transfers on or after the first
day, or has any of the days reconciled, is refused.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from psycopg import AsyncConnection

from gateway.demo import figures
from reconciliation.matching import BUSINESS_TIME_ZONE

# Where the `libfaketime` wheel keeps the library it ships, built for Linux.
LIBRARY_IN_PACKAGE = Path("vendor", "libfaketime", "src", "libfaketime.so.1")

HAS_HISTORY = "SELECT to_regclass('ledger.transfers') IS NOT NULL"

LATEST_TRANSFER = "SELECT max(created_at) FROM ledger.transfers"

DATABASE_DAY = "SELECT (now() AT TIME ZONE %(zone)s)::date"


class PastDaysRefused(Exception):
    """Past days cannot be simulated here; the message says why and what to do."""


def business_days(today: date, count: int) -> list[date]:
    """The ``count - 1`` days before today, oldest first, then today."""
    return [today - timedelta(days=back) for back in range(count - 1, -1, -1)]


def faketime_library() -> Path:
    spec = importlib.util.find_spec("libfaketime")
    library = Path(spec.submodule_search_locations[0], LIBRARY_IN_PACKAGE) if spec else None
    if not sys.platform.startswith("linux") or library is None or not library.is_file():
        raise PastDaysRefused("--days above 1 runs the earlier days under libfaketime (the `libfaketime` package's"
                              " library, preloaded on Linux), which is not available here: run the demo with"
                              " --days 1")
    return library


def clock_moved_back(environ: Mapping[str, str], days_back: int, library: Path) -> dict[str, str]:
    """``environ`` for a process whose wall clock, and its children's, is ``days_back`` days
    behind, at the same time of day; its monotonic clock is left real."""
    preload = ":".join(filter(None, (str(library), environ.get("LD_PRELOAD"))))
    return {**environ, "LD_PRELOAD": preload, "FAKETIME": f"-{days_back}d", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


async def home_problems(conn: AsyncConnection, days: list[date]) -> list[str]:
    """Why ``days`` cannot be lived on this home: what it holds from the first day on."""
    if not (await (await conn.execute(HAS_HISTORY)).fetchone())[0]:
        return []  # a fresh home: the first day's demo creates its schema
    problems = []
    latest = (await (await conn.execute(LATEST_TRANSFER)).fetchone())[0]
    if latest is not None and latest.astimezone(BUSINESS_TIME_ZONE).date() >= days[0]:
        problems.append(f"its ledger holds transfers up to {latest.astimezone(BUSINESS_TIME_ZONE):%Y-%m-%d %H:%M},"
                        f" and the first day to simulate is {days[0]}")
    for day in days:
        if reconciled := await figures.reconciled_providers(conn, day):
            problems.append(f"business day {day} is already reconciled ({', '.join(reconciled)})")
    return problems


async def database_day(conn: AsyncConnection) -> date:
    return (await (await conn.execute(DATABASE_DAY, {"zone": BUSINESS_TIME_ZONE.key})).fetchone())[0]


def clock_problem(planned: date, own: date, database: date | None = None) -> str | None:
    """Why a run cannot live ``planned``: its own clock, or its database's, shows another day."""
    if own != planned:
        return (f"this process's clock says {own}, not {planned}: libfaketime is not in effect (LD_PRELOAD,"
                " FAKETIME), or midnight passed in Asia/Ho_Chi_Minh since the demo began")
    if database is not None and database != planned:
        return (f"PostgreSQL's clock says {database}, not {planned}: this home's embedded PostgreSQL was already"
                " running for another process, on that process's clock. Stop it (is `publicpay serve` running on"
                " this PUBLICPAY_HOME?) or use another PUBLICPAY_HOME")
    return None
