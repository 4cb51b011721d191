"""The nightly job: at 01:30 in Asia/Ho_Chi_Minh (by default), reconcile the business day
that ended, for every provider whose files have arrived, and carry on the runs of the last
week that were waiting for their bank statement.

Every gateway process may start the scheduler; a PostgreSQL advisory lock taken for the
whole job lets one of them run it and makes the others skip that night's firing. The
gateway builds the scheduler with :func:`nightly_scheduler` and starts it in its lifespan::

    scheduler = nightly_scheduler(pool.connection, inputs, recovery)
    scheduler.start()   # inside the running event loop
    ...
    scheduler.shutdown()
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from psycopg import AsyncConnection

from reconciliation.engine import SettlementParser, run_reconciliation
from reconciliation.errors import ReconciliationError
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.recovery import Recovery
from reconciliation.runs import ProviderSetup, Run
from reconciliation.settlement_csv import read_settlement_csv
from reconciliation import store
from reconciliation.store import SCHEDULE_LOCK_KEY

log = logging.getLogger(__name__)

Connect = Callable[[], AbstractAsyncContextManager[AsyncConnection]]  # an autocommit connection, e.g. pool.connection
JOB_ID = "nightly-reconciliation"
CATCH_UP = timedelta(days=7)  # how far back a run waiting for its statement is taken up again


@dataclass(frozen=True)
class NightlyInputs:
    """One provider's nightly inputs. ``await locate(day)`` returns the settlement file and
    the bank statement (None until it arrives), or None while the settlement file has not
    come (it may fetch the file on the way)."""

    setup: ProviderSetup
    locate: Callable[[date], Awaitable[tuple[Path, Path | None] | None]]
    parse: SettlementParser = read_settlement_csv


def nightly_trigger(hour: int = 1, minute: int = 30) -> CronTrigger:
    return CronTrigger(hour=hour, minute=minute, timezone=BUSINESS_TIME_ZONE)


def business_day_ended(now: datetime) -> date:
    """The business day the nightly job reconciles when it fires at ``now`` (aware)."""
    return now.astimezone(BUSINESS_TIME_ZONE).date() - timedelta(days=1)


async def reconcile_day(conn: AsyncConnection, inputs: Sequence[NightlyInputs], day: date,
                        recovery: Recovery) -> dict[str, Run | str] | None:
    """Each provider's run of ``day`` (or why there is none); None when another session
    holds the job's lock. One provider's refusal does not stop the others."""
    acquired = (await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (SCHEDULE_LOCK_KEY,))).fetchone())[0]
    if not acquired:
        log.info("nightly reconciliation of %s: another process is running it", day)
        return None
    outcomes: dict[str, Run | str] = {}
    try:
        for provider in inputs:
            found = await provider.locate(day)
            if found is None:
                outcomes[provider.setup.provider] = "no_settlement_file"
                continue
            settlement, statement = found
            try:
                outcomes[provider.setup.provider] = await run_reconciliation(
                    conn, provider.setup, day, settlement, statement=statement, parse=provider.parse,
                    recovery=recovery)
            except ReconciliationError as refusal:  # refused, or a file we cannot read
                log.warning("nightly reconciliation of %s %s refused: %s", provider.setup.provider, day, refusal)
                outcomes[provider.setup.provider] = refusal.code
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEDULE_LOCK_KEY,))
    return outcomes


async def nightly_job(connect: Connect, inputs: Sequence[NightlyInputs], recovery: Recovery,
                      now: Callable[[], datetime] = lambda: datetime.now(BUSINESS_TIME_ZONE)) -> None:
    """The day that ended; then each earlier day of the last week whose run still waits for
    its bank statement (a statement comes a day or more after its day), for its providers."""
    day = business_day_ended(now())
    async with connect() as conn:
        await reconcile_day(conn, inputs, day, recovery)
        for earlier, providers in await store.days_awaiting_statement(conn, day - CATCH_UP, day):
            await reconcile_day(conn, [i for i in inputs if i.setup.provider in providers], earlier, recovery)


def nightly_scheduler(connect: Connect, inputs: Sequence[NightlyInputs], recovery: Recovery, *,
                      hour: int = 1, minute: int = 30) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=BUSINESS_TIME_ZONE)
    # A firing missed while every process was down still runs within six hours of its time;
    # several missed firings run once (the day is derived from the clock when it runs).
    scheduler.add_job(nightly_job, nightly_trigger(hour, minute), args=(connect, inputs, recovery), id=JOB_ID,
                      coalesce=True, max_instances=1, misfire_grace_time=6 * 3600)
    return scheduler
