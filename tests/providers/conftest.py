"""Real HTTP for the provider tests: any ASGI app served by uvicorn on a free loopback
port, and a merchant stand-in that records every callback it receives and answers it the
way the adapter says the provider expects."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import uvicorn
from litestar import Litestar, Request, Response, route

from providers.clock import BUSINESS_ZONE
from providers.errors import ProviderError
from providers.protocol import (
    CallbackAnswer, CallbackEvent, CallbackReply, InboundMessage, PaymentQuery, ProviderAdapter, RefundRequest,
)
from providers.simulation.scenarios import SandboxTiming

# Real delays divided down: "hours late" is half a second, retries a tenth of one.
FAST = SandboxTiming(late_s=0.5, retry_delays_s=(0.05, 0.1, 0.2), hang_s=1.0)
ADAPTER_TIMEOUT_S = 0.3  # below FAST.hang_s, so a hanging provider times out


@asynccontextmanager
async def serve(app: object) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 (the OS picks the port); yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server from starting
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Receiver:
    """The merchant's callback endpoint: records each message, answers with ``decide``."""

    def __init__(self, adapter: ProviderAdapter) -> None:
        self.adapter = adapter
        self.messages: list[InboundMessage] = []
        self.decide: Callable[[InboundMessage], CallbackAnswer] = self.accept_if_verified

    def accept_if_verified(self, message: InboundMessage) -> CallbackAnswer:
        try:
            self.adapter.parse_callback(message)
        except ProviderError:
            return CallbackAnswer.INVALID_SIGNATURE
        return CallbackAnswer.ACCEPTED

    def app(self) -> Litestar:
        @route("/{path:path}", http_method=["GET", "POST"])
        async def record(request: Request) -> Response[bytes]:
            message = InboundMessage(query=dict(request.query_params.items()), body=await request.body(),
                                     headers={k.lower(): v for k, v in request.headers.items()})
            self.messages.append(message)
            reply: CallbackReply = self.adapter.callback_reply(self.decide(message))
            return Response(reply.body, status_code=reply.status_code, media_type=reply.media_type)

        return Litestar([record], openapi_config=None)

    def about(self, needle: str) -> list[InboundMessage]:
        """The messages that mention ``needle`` (an attempt ref) anywhere, in any case."""
        needle = needle.lower()
        return [m for m in self.messages if needle in str(m.query).lower() or needle.encode() in m.body.lower()]


@dataclass
class World:
    """One provider's sandbox and the merchant stand-in it calls back, both listening."""

    adapter: Any
    receiver: Receiver
    sandbox_url: str
    callback_url: str  # the merchant stand-in's endpoint, for providers that take it per request
    client: httpx.AsyncClient


@asynccontextmanager
async def provider_world(adapter_for: Callable[[str, httpx.AsyncClient], Any],
                         sandbox_for: Callable[[str], object]) -> AsyncIterator[World]:
    """``adapter_for(base_url, client)``, ``sandbox_for(merchant_callback_url)``."""
    async with httpx.AsyncClient() as client:
        # The receiver only verifies, which needs credentials, not the sandbox's address.
        receiver = Receiver(adapter_for("http://127.0.0.1:9", client))
        async with serve(receiver.app()) as merchant_url:
            callback_url = f"{merchant_url}/callbacks"
            async with serve(sandbox_for(callback_url)) as sandbox_url:
                receiver.adapter = adapter_for(sandbox_url, client)
                yield World(adapter=receiver.adapter, receiver=receiver, sandbox_url=sandbox_url,
                            callback_url=callback_url, client=client)


async def callbacks_about(world: World, ref: str, count: int) -> list[CallbackEvent]:
    """Wait until the merchant has received ``count`` callbacks about ``ref``; parse them all."""
    async with asyncio.timeout(5):
        while len(world.receiver.about(ref)) < count:
            await asyncio.sleep(0.01)
    return [world.adapter.parse_callback(message) for message in world.receiver.about(ref)]


def payment_query(ref: str, age_s: float = 0) -> PaymentQuery:
    """A query about an attempt created ``age_s`` ago."""
    return PaymentQuery(attempt_ref=ref, created_at=datetime.now(UTC) - timedelta(seconds=age_s))


def refund_request(ref: str, provider_ref: str, amount_minor: int, payment_amount_minor: int,
                   refund_ref: str | None = None, currency: str = "VND") -> RefundRequest:
    now = datetime.now(UTC)
    return RefundRequest(refund_ref=refund_ref or f"re{uuid.uuid4().hex[:12]}", attempt_ref=ref,
                         provider_ref=provider_ref, amount_minor=amount_minor,
                         payment_amount_minor=payment_amount_minor, currency=currency,
                         payment_created_at=now, requested_at=now)


def new_ref() -> str:
    return f"pi{uuid.uuid4().hex[:12]}"


def business_today() -> date:
    return datetime.now(BUSINESS_ZONE).date()
