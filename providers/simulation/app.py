"""The Litestar shell every sandbox shares: its state object on ``app.state.sandbox``, the
settlement-file and delivery-log endpoints, and closing the callback tasks at shutdown."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from litestar import Litestar, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler, Guard

from providers.simulation.notifier import CallbackNotifier, Delivery


class Sandbox(Protocol):
    notifier: CallbackNotifier

    def settlement_file(self, day: date) -> bytes: ...


def public_base_url(request: Request) -> str:
    """The sandbox's own URL as the client sees it, mount prefix included.

    A Litestar mount strips its prefix from ``scope["path"]`` without setting
    ``root_path``; ``raw_path`` keeps the path as sent, so the prefix is the difference.
    """
    raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    path = request.scope["path"]
    prefix = raw_path[: -len(path)] if path and raw_path.endswith(path) else ""
    return f"{request.base_url.scheme}://{request.base_url.netloc}{prefix}"


def require_bearer(key_field: str) -> Guard:
    """A guard admitting ``Authorization: Bearer <sandbox.config.<key_field>>`` only; the
    app maps its NotAuthorizedException to the provider's own error body."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        expected = f"Bearer {getattr(connection.app.state.sandbox.config, key_field)}".encode()
        if not hmac.compare_digest(connection.headers.get("authorization", "").encode(), expected):
            raise NotAuthorizedException("Invalid API Key provided")

    return guard


@get("/settlement/{day:str}", sync_to_thread=False)
def settlement_file(day: FromPath[str], state: State) -> Response[bytes]:
    """The day's settlement file (``day`` as YYYY-MM-DD, Vietnam's business day)."""
    try:
        business_day = date.fromisoformat(day)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"{day!r} is not a date (YYYY-MM-DD)") from None
    return Response(state.sandbox.settlement_file(business_day), media_type="text/csv; charset=utf-8")


@get("/_sandbox/deliveries", sync_to_thread=False)
def deliveries(state: State) -> list[Delivery]:
    """Every callback delivery attempt so far and how the merchant answered: for testers."""
    return state.sandbox.notifier.deliveries


def sandbox_app(sandbox: Sandbox, handlers: Sequence[ControllerRouterHandler], **options: Any) -> Litestar:
    async def close_notifier() -> None:
        await sandbox.notifier.close()

    return Litestar(route_handlers=[*handlers, settlement_file, deliveries], state=State({"sandbox": sandbox}),
                    on_shutdown=[close_notifier], openapi_config=None, **options)
