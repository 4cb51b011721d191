"""What a fresh home needs before it serves: the catalogue's seed, and in sandbox mode the
sandbox billers' bills and households, so that it can be explored at once."""

from __future__ import annotations

from psycopg import AsyncConnection

from catalogue.billers import load_sandbox_fixtures
from catalogue.loading import ensure_seed_loaded
from gateway.settings import Settings


async def prepare_catalogue(conn: AsyncConnection, settings: Settings) -> None:
    await ensure_seed_loaded(conn)
    if settings.mode == "sandbox":
        await load_sandbox_fixtures(conn)
