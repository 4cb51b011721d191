"""The providers' sandboxes (every payment's in sandbox mode, test-mode payments' in live
mode): one process of their own, since each keeps its state in memory, reached through the
gateway's ``/sandbox/<code>`` paths by a proxy (so that every URL a browser or a provider
sees is on the gateway's address, whatever the number of gateway worker processes)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar
from litestar.handlers import asgi
from litestar.types import Receive, Scope, Send

from gateway.provider_setup import ProviderLinks, sandbox_configs, serves_test_mode_apart
from gateway.settings import Settings, load_settings
from providers.registry import CODES, close_sandboxes, sandbox_apps
from providers.simulation.scenarios import SandboxTiming

# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the message. Host
# is passed on: the sandboxes build the URLs they hand out (MoMo's payUrl) from it, and those
# must be the gateway's.
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"te", b"trailer",
                        b"proxy-authorization", b"proxy-authenticate", b"content-length"})


def scaled_timing(scale: float) -> SandboxTiming:
    real = SandboxTiming()
    return SandboxTiming(late_s=real.late_s * scale, retry_delays_s=tuple(d * scale for d in real.retry_delays_s),
                         hang_s=real.hang_s * scale)


def create_sandboxes_app(settings: Settings) -> Litestar:
    # A live gateway's sandboxes serve its test mode alone: they call back on the test route.
    links = ProviderLinks(public_url=settings.public_url)
    test_mode = serves_test_mode_apart(settings)
    callback_urls = {code: links.callback_url(code, test_mode=test_mode) for code in CODES}
    apps = sandbox_apps(sandbox_configs(settings), callback_urls, scaled_timing(settings.sandbox_time_scale))

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await close_sandboxes(apps)

    mounts = [asgi(path, is_mount=True, copy_scope=True)(app) for path, app in apps.items()]
    return Litestar(route_handlers=mounts, lifespan=[lifespan])


def sandboxes_from_environment() -> Litestar:
    """uvicorn's factory for the sandbox process."""
    return create_sandboxes_app(load_settings())


def sandbox_proxy(target_url: str):
    """An ASGI app that forwards each request, path and all, to the sandbox process, with the
    HTTP client the gateway app keeps in ``state.sandbox_client``."""

    async def proxy(scope: Scope, receive: Receive, send: Send) -> None:
        client: httpx.AsyncClient = scope["app"].state.sandbox_client
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in HOP_BY_HOP]
        query = scope.get("query_string", b"").decode()
        url = f"{target_url}{scope['raw_path'].decode() if scope.get('raw_path') else scope['path']}"
        if query and "?" not in url:
            url = f"{url}?{query}"
        try:
            answer = await client.request(scope["method"], url, headers=headers, content=bytes(body),
                                          follow_redirects=False)
        except httpx.HTTPError:
            await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"sandbox unavailable"})
            return
        out = [(k.encode(), v.encode()) for k, v in answer.headers.multi_items()
               if k.lower().encode() not in HOP_BY_HOP and k.lower() != "content-encoding"]
        await send({"type": "http.response.start", "status": answer.status_code, "headers": out})
        await send({"type": "http.response.body", "body": answer.content})

    return proxy
