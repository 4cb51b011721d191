"""The HTTP application, built from settings by ``create_app`` (nothing is read at import)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar
from litestar.handlers import asgi
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from psycopg_pool import AsyncConnectionPool

from gateway.api import (
    balance,
    callbacks,
    catalogue,
    checkout_sessions,
    dossiers,
    events,
    health,
    payment_intents,
    refunds,
    webhook_endpoints,
)
from gateway.api.dependencies import authenticator, provide_connection
from gateway.api.errors import EXCEPTION_HANDLERS
from gateway.api.openapi import declare_stripe_answers
from gateway.api.params import refuse_nul_in_path
from gateway.api.request_id import add_request_id
from gateway.background import background_jobs
from gateway.checkout.routes import checkout_router
from gateway.console.routes import console_router
from gateway.database import open_pool
from gateway.idempotency.group_commit import first_tries
from gateway.migrations import discover_migrations
from gateway.observability.logs import request_id_middleware
from gateway.observability.metrics import http_metrics_middleware, metrics_handler
from gateway.provider_setup import open_providers
from gateway.sandbox_server import sandbox_proxy
from gateway.settings import Settings, load_settings
from gateway.start_up_heap import freeze_start_up_objects
from gateway.web.app_parts import web_parts


def create_app(settings: Settings, pool: AsyncConnectionPool | None = None) -> Litestar:
    """The gateway's app. With ``pool``, the caller owns the pool (which then also records
    confirm attempts and refund reservations and commits creates' batches: size it above the
    requests in flight);
    otherwise the app opens its pools on ``settings.database_url`` for its lifetime."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_providers(settings) as providers, _sandbox_client(settings) as sandbox:
            app.state.providers = providers
            app.state.sandbox_client = sandbox
            if pool is not None:
                app.state.pool = app.state.recording_pool = pool
                app.state.first_tries = first_tries(pool)
                yield
                return
            if not settings.database_url:
                raise RuntimeError("PUBLICPAY_DATABASE_URL is not set; `publicpay serve` sets it for its workers")
            async with open_pool(settings.database_url, settings) as opened, \
                    open_pool(settings.database_url, settings, max_size=RECORDING_POOL_SIZE) as recording:
                app.state.pool = opened
                app.state.recording_pool = recording
                app.state.first_tries = first_tries(recording)
                async with background_jobs(opened, providers, settings):
                    yield

    web = web_parts(settings)
    return Litestar(
        route_handlers=[health.healthz, health.readyz, metrics_handler(settings.metrics_token),
                        *declare_stripe_answers([
                            *payment_intents.HANDLERS, *events.HANDLERS,
                            *catalogue.HANDLERS, *dossiers.HANDLERS,
                            *webhook_endpoints.HANDLERS, *refunds.HANDLERS, *checkout_sessions.HANDLERS,
                            *balance.HANDLERS]),
                        *callbacks.HANDLERS,
                        *_sandbox_mount(settings), *web.route_handlers, checkout_router(), console_router()],
        lifespan=[lifespan],
        state=State({"migrations": discover_migrations(), **web.state}),
        template_config=web.template_config,
        dependencies={"conn": Provide(provide_connection),
                      "caller": Provide(authenticator(settings.api_key_cache_ttl_ms, settings.api_rate_limit_per_second))},
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_nul_in_path,
        before_send=[add_request_id, *web.before_send],
        middleware=[request_id_middleware, http_metrics_middleware],
        # Logging is the process's (`publicpay serve` configures it: JSON lines), not the app's.
        logging_config=None,
        openapi_config=OpenAPIConfig(title="publicpay", version="1", path="/schema"),
    )


SANDBOX_PROXY_TIMEOUT_S = 300.0
# What must commit on a connection other than the request's own — before a provider is asked
# (a confirm's attempt, a refund's reservation), or together with other requests' (creates'
# batches, gateway/idempotency/group_commit.py) — comes from a pool of its own, whose
# holders wait for nothing else, so that a burst of such requests cannot take every
# connection of the main pool and then wait on each other for one more.
RECORDING_POOL_SIZE = 4


def _sandbox_mount(settings: Settings) -> list:
    """In sandbox mode, ``/sandbox/<code>/…`` reaches the sandboxes' own process."""
    if settings.sandbox_url is None:
        return []
    return [asgi("/sandbox", is_mount=True, copy_scope=True)(sandbox_proxy(settings.sandbox_url))]


@contextlib.asynccontextmanager
async def _sandbox_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient | None]:
    if settings.sandbox_url is None:
        yield None
        return
    # Long enough for a sandbox told to hang (the "timeout" outcome) to answer in the end.
    async with httpx.AsyncClient(timeout=SANDBOX_PROXY_TIMEOUT_S) as client:
        yield client


def app_from_environment() -> Litestar:
    """uvicorn's factory, called in each worker process: settings come from its environment.
    A worker's start-up objects are frozen out of the garbage collector's sight once it has
    started (gateway/start_up_heap.py), which a test process building many apps must not do."""
    app = create_app(load_settings())
    app.on_startup.append(freeze_start_up_objects)
    return app
