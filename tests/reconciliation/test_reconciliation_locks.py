"""Runs of one day never overlap: the advisory lock per (provider, day) refuses a second
session, and the nightly job's global lock lets only one gateway process run it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime, time, timedelta

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from golden_books import DATA, DAY, SETUP, FakeProvider, book_every_class_day
from reconciliation import store
from reconciliation.engine import run_reconciliation
from reconciliation.errors import RunLocked
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.schedule import (
    NightlyInputs, business_day_ended, nightly_job, nightly_scheduler, nightly_trigger, reconcile_day,
)

EVERY, EVERY_STATEMENT = DATA / "every_class.csv", DATA / "every_class_statement.xml"


def arrived(settlement, statement=None):
    """A provider's ``locate``: these files (or no settlement file, for None), whatever the day."""

    async def locate(day):
        return None if settlement is None else (settlement, statement)

    return locate


async def test_a_second_session_cannot_run_the_same_day(conn, database_url):
    await book_every_class_day(conn)
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
        async with store.run_lock(other, SETUP.provider, DAY):
            with pytest.raises(RunLocked):
                await run_reconciliation(conn, SETUP, DAY, EVERY, recovery=FakeProvider().recovery)
    run = await run_reconciliation(conn, SETUP, DAY, EVERY, recovery=FakeProvider().recovery)
    assert run.counts["lines"] == 10  # the lock was released with the block


class SlowProvider(FakeProvider):
    """Keeps the first run inside its status queries until the second has tried."""

    def __init__(self, release: asyncio.Event) -> None:
        super().__init__({"PA-105": 50_000})
        self.release = release

    async def query_status(self, provider, attempt_ref):
        await self.release.wait()
        return await super().query_status(provider, attempt_ref)


async def test_two_processes_firing_the_nightly_job_run_it_once(conn, database_url):
    await book_every_class_day(conn)
    release = asyncio.Event()
    provider = SlowProvider(release)
    inputs = [NightlyInputs(setup=SETUP, locate=arrived(EVERY, EVERY_STATEMENT))]
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as first, \
            await psycopg.AsyncConnection.connect(database_url, autocommit=True) as second:
        running = asyncio.create_task(reconcile_day(first, inputs, DAY, provider.recovery))
        while not provider.release.is_set() and not await _job_locked(conn):
            await asyncio.sleep(0.01)
        skipped = await reconcile_day(second, inputs, DAY, provider.recovery)
        release.set()
        outcomes = await running
    assert skipped is None
    assert outcomes["vnpay"].counts["recovered"] == 1
    assert sorted(provider.asked) == ["PA-105", "PA-106"]  # asked by one run only


async def _job_locked(conn) -> bool:
    row = await (await conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                                    (store.SCHEDULE_LOCK_KEY & 0xFFFFFFFF,))).fetchone()
    return row[0] > 0


async def test_a_provider_without_its_file_is_reported_and_the_rest_run(conn):
    await book_every_class_day(conn)
    inputs = [NightlyInputs(setup=SETUP.__class__(provider="momo", bank="vcb"), locate=arrived(None)),
              NightlyInputs(setup=SETUP, locate=arrived(EVERY, None))]
    outcomes = await reconcile_day(conn, inputs, DAY, FakeProvider().recovery)
    assert outcomes["momo"] == "no_settlement_file" and outcomes["vnpay"].status == "awaiting_statement"


async def test_a_run_waiting_for_its_statement_is_carried_on_when_it_comes(conn, database_url):
    await book_every_class_day(conn)
    statements = {}

    async def locate(day):
        return (EVERY, statements.get(day)) if day == DAY else None

    inputs = [NightlyInputs(setup=SETUP, locate=locate)]
    firing = lambda day: (lambda: datetime.combine(day, time(1, 30), BUSINESS_TIME_ZONE))  # noqa: E731
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        await nightly_job(pool.connection, inputs, FakeProvider().recovery, now=firing(DAY + timedelta(days=1)))
        assert (await store.runs_of_day(conn, DAY))[0].status == "awaiting_statement"
        statements[DAY] = EVERY_STATEMENT  # the bank's statement arrives two days later
        await nightly_job(pool.connection, inputs, FakeProvider().recovery, now=firing(DAY + timedelta(days=3)))
    [run] = await store.runs_of_day(conn, DAY)
    assert run.status == "completed" and run.attempts == 2


def test_the_trigger_fires_at_half_past_one_in_vietnam():
    trigger = nightly_trigger()
    # 18:30 UTC is 01:30 the next day in Vietnam (UTC+7, no daylight saving).
    assert trigger.get_next_fire_time(None, datetime(2026, 11, 21, 12, 0, tzinfo=UTC)) == \
        datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, datetime(2026, 11, 21, 18, 31, tzinfo=UTC)) == \
        datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    assert business_day_ended(datetime(2026, 11, 21, 18, 30, tzinfo=UTC)) == date(2026, 11, 21)


async def test_the_scheduler_holds_one_job_on_that_trigger():
    scheduler = nightly_scheduler(contextlib.nullcontext, [], FakeProvider().recovery, hour=2, minute=15)
    [job] = scheduler.get_jobs()
    assert str(job.trigger) == "cron[hour='2', minute='15']" and job.trigger.timezone.key == "Asia/Ho_Chi_Minh"
