"""What a fresh home needs before it serves: the catalogue's seed, and in sandbox mode the
sandbox billers' bills and households, so that it can be explored at once."""

from __future__ import annotations

from psycopg import AsyncConnection

from catalogue.billers import load_sandbox_fixtures
from catalogue.loading import ensure_seed_loaded
from gateway.payments.booking import ensure_provider_accounts
from gateway.settings import Settings
from providers.registry import CODES


async def prepare_catalogue(conn: AsyncConnection, settings: Settings) -> None:
    await ensure_seed_loaded(conn)
    # Providers carry đồng: their clearing accounts, and suspense for what cannot be attributed.
    await ensure_provider_accounts(conn, list(CODES), "VND")
    if settings.mode == "sandbox":
        await load_sandbox_fixtures(conn)
