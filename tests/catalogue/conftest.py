"""Databases with the bundled seed and the sandboxes' fixtures loaded."""

import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from catalogue.billers import load_sandbox_fixtures
from catalogue.loading import ensure_seed_loaded


async def seed(conn: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
    await ensure_seed_loaded(conn)
    await load_sandbox_fixtures(conn)
    return conn


@pytest.fixture
async def seeded(conn: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
    return await seed(conn)


@pytest.fixture(scope="module")
async def shared_seed(server_url: str, template_name: str) -> AsyncIterator[psycopg.AsyncConnection]:
    """One seeded database for a whole module of tests that only read. Pricing writes
    nothing (those tests check it), so a fresh database for each would only cost time."""
    name = f"publicpay_reading_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template_name)))
        try:
            url = make_conninfo(server_url, dbname=name)
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                yield await seed(conn)
        finally:
            await admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
