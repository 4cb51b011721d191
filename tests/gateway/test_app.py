"""The app in-process, on a pool the test owns (`create_app(settings, pool)`).

httpx's ASGI transport runs the app on the test's own event loop, where the pool lives
(Litestar's test clients run it in a thread with another loop)."""

from contextlib import asynccontextmanager

import httpx
from psycopg_pool import AsyncConnectionPool

from gateway.app import create_app
from gateway.settings import Settings


@asynccontextmanager
async def app_client(database_url: str, settings: Settings | None = None):
    async with AsyncConnectionPool(database_url, kwargs={"autocommit": True}, open=False) as pool:
        app = create_app(settings or Settings(), pool)
        async with app.lifespan():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://app") as client:
                yield client, pool


async def test_readyz_ready_on_a_migrated_database(database_url):
    async with app_client(database_url) as (client, _):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_readyz_reports_pending_migrations(database_url):
    async with app_client(database_url) as (client, pool):
        async with pool.connection() as conn:
            await conn.execute("DELETE FROM public.schema_migrations WHERE package = 'gateway'")
        not_ready = await client.get("/readyz")
    assert not_ready.status_code == 503
    assert "gateway/0001_gateway" in not_ready.json()["reason"]
