"""The HTTP application, built from settings by ``create_app`` (nothing is read at import)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from psycopg_pool import AsyncConnectionPool

from gateway.api import catalogue, dossiers, events, health, payment_intents, webhook_endpoints
from gateway.api.dependencies import authenticate, provide_connection
from gateway.api.errors import EXCEPTION_HANDLERS
from gateway.api.request_id import add_request_id
from gateway.background import background_jobs
from gateway.checkout.routes import checkout_router
from gateway.database import open_pool
from gateway.migrations import discover_migrations
from gateway.settings import Settings, load_settings
from gateway.web.app_parts import web_parts


def create_app(settings: Settings, pool: AsyncConnectionPool | None = None) -> Litestar:
    """The gateway's app. With ``pool``, the caller owns the pool; otherwise the app opens
    one on ``settings.database_url`` for its lifetime."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if pool is not None:
            app.state.pool = pool
            yield
            return
        if not settings.database_url:
            raise RuntimeError("PUBLICPAY_DATABASE_URL is not set; `publicpay serve` sets it for its workers")
        async with open_pool(settings.database_url, settings) as opened:
            app.state.pool = opened
            async with background_jobs(opened, settings):
                yield

    web = web_parts(settings)
    return Litestar(
        route_handlers=[health.healthz, health.readyz, *payment_intents.HANDLERS, *events.HANDLERS,
                        *catalogue.HANDLERS, *dossiers.HANDLERS,
                        *webhook_endpoints.HANDLERS, *web.route_handlers, checkout_router()],
        lifespan=[lifespan],
        state=State({"migrations": discover_migrations(), **web.state}),
        template_config=web.template_config,
        dependencies={"conn": Provide(provide_connection), "caller": Provide(authenticate)},
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_request_id, *web.before_send],
        openapi_config=OpenAPIConfig(title="publicpay", version="1", path="/schema"),
    )


def app_from_environment() -> Litestar:
    """uvicorn's factory, called in each worker process: settings come from its environment."""
    return create_app(load_settings())
