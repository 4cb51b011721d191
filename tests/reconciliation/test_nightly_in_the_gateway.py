"""The nightly reconciliation as the gateway starts it: ``background_jobs`` (what the app's
lifespan runs) starts APScheduler with the job at PUBLICPAY_RECONCILIATION_AT in Vietnam's
time zone; fired, the job reconciles the day that ended for each configured provider from
the file in the inbox, and its bank statement there."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from psycopg_pool import AsyncConnectionPool

from gateway.background import background_jobs
from gateway.nightly import nightly_inputs
from gateway.provider_setup import open_providers
from gateway.settings import Settings
from gateway.settlement_files import Inbox
from providers.card.settlement import write_settlement
from providers.model import SettlementLine
from reconciliation.matching import BUSINESS_TIME_ZONE
from reconciliation.runs import ProviderSetup
from reconciliation.schedule import JOB_ID, business_day_ended
from tests.reconciliation.golden_books import at, book_payments, open_books


def settings_for(tmp_path, **changes) -> Settings:
    return Settings(home=str(tmp_path), web_secret="nightly tests", reconciliation_providers="card", **changes)


async def test_the_gateway_schedules_the_job_at_the_configured_time_in_vietnam(database_url, tmp_path):
    settings = settings_for(tmp_path, reconciliation_at="02:45")
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool, \
            open_providers(settings) as providers, background_jobs(pool, providers, settings) as nightly:
        assert nightly.running
        [job] = nightly.get_jobs()
        assert job.id == JOB_ID and str(job.trigger) == "cron[hour='2', minute='45']"
        assert job.trigger.timezone.key == "Asia/Ho_Chi_Minh"
        fires = job.next_run_time.astimezone(BUSINESS_TIME_ZONE)
        assert (fires.hour, fires.minute) == (2, 45) and fires > datetime.now(UTC)
    assert not nightly.running  # stopped with the server


async def test_switched_off_there_is_no_scheduler(database_url, tmp_path):
    settings = settings_for(tmp_path, reconciliation_at="off")
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool, \
            open_providers(settings) as providers, background_jobs(pool, providers, settings) as nightly:
        assert nightly is None


async def test_an_unknown_provider_is_refused_at_start(tmp_path):
    settings = Settings(home=str(tmp_path), reconciliation_providers="card paypal")
    async with open_providers(settings) as providers:
        with pytest.raises(ValueError, match="PUBLICPAY_RECONCILIATION_PROVIDERS.*paypal"):
            nightly_inputs(providers, settings)


async def test_fired_it_reconciles_the_day_that_ended_from_the_inbox(database_url, conn, tmp_path):
    settings = settings_for(tmp_path)
    day = business_day_ended(datetime.now(UTC))
    await open_books(conn, ProviderSetup(provider="card", bank=settings.reconciliation_bank))
    await book_payments(conn, [("PA-901", "MOJ", 200_000, at(9, day=day))], provider="card")
    inbox = Inbox.of(settings)
    inbox.settlement_path("card", day).parent.mkdir(parents=True)
    inbox.settlement_path("card", day).write_bytes(write_settlement([SettlementLine(
        provider="card", attempt_ref="PA-901", provider_ref="pi_901", kind="payment", amount_minor=200_000,
        fee_minor=3_000, currency="VND", transacted_at=at(9, day=day), settlement_date=day + timedelta(days=2))]))
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool, \
            open_providers(settings) as providers, background_jobs(pool, providers, settings) as nightly:
        nightly.get_job(JOB_ID).modify(next_run_time=datetime.now(BUSINESS_TIME_ZONE))  # fire it now
        for _ in range(200):
            run = await (await conn.execute("SELECT provider, business_day, status, counts FROM recon.runs")).fetchone()
            if run is not None and run[2] != "running":
                break
            await asyncio.sleep(0.05)
    # No statement in the inbox yet: posted, waiting for the bank's credit before remitting.
    assert run == ("card", day, "awaiting_statement", {"lines": 1, "matched": 1, "recovered": 0})
