"""The nightly reconciliation as the gateway runs it: APScheduler's job in every server
process, at ``PUBLICPAY_RECONCILIATION_AT`` in Asia/Ho_Chi_Minh, for every provider in
``PUBLICPAY_RECONCILIATION_PROVIDERS``; the job's advisory lock lets one process run it.
Each provider's file is taken from the inbox or fetched through its adapter, its bank's
statement from the inbox (see gateway.settlement_files)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from psycopg_pool import AsyncConnectionPool

from gateway.provider_setup import Providers
from gateway.reconciling import gateway_recovery
from gateway.settings import Settings
from gateway.settlement_files import Inbox, SettlementFileUnavailable, adapter_parser, settlement_file
from reconciliation.runs import ProviderSetup
from reconciliation.schedule import NightlyInputs, nightly_scheduler

log = logging.getLogger(__name__)


def nightly_inputs(providers: Providers, settings: Settings) -> list[NightlyInputs]:
    unknown = set(settings.reconciliation_provider_codes) - set(providers.adapters)
    if unknown:
        raise ValueError(f"PUBLICPAY_RECONCILIATION_PROVIDERS names unknown provider(s) {', '.join(sorted(unknown))}")
    inbox = Inbox.of(settings)

    def inputs_of(code: str) -> NightlyInputs:
        adapter = providers.adapters[code]
        setup = ProviderSetup(provider=code, bank=settings.reconciliation_bank)

        async def locate(day: date) -> tuple[Path, Path | None] | None:
            try:
                settlement = await settlement_file(inbox, adapter, day)
            except SettlementFileUnavailable as missing:
                log.warning("nightly reconciliation of %s %s: %s", code, day, missing)
                return None
            return settlement, inbox.statement_if_arrived(setup.bank, day)

        return NightlyInputs(setup=setup, locate=locate, parse=adapter_parser(adapter))

    return [inputs_of(code) for code in settings.reconciliation_provider_codes]


def gateway_scheduler(pool: AsyncConnectionPool, providers: Providers, settings: Settings) -> AsyncIOScheduler:
    hour, minute = settings.reconciliation_hour_minute
    return nightly_scheduler(pool.connection, nightly_inputs(providers, settings),
                             gateway_recovery(providers, pool.connection), hour=hour, minute=minute)


@contextlib.asynccontextmanager
async def nightly_reconciliation(pool: AsyncConnectionPool, providers: Providers,
                                 settings: Settings) -> AsyncIterator[AsyncIOScheduler | None]:
    """The scheduler, started for the block (None when the nightly run is switched off)."""
    if settings.reconciliation_at == "off":
        yield None
        return
    scheduler = gateway_scheduler(pool, providers, settings)
    scheduler.start()
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)
