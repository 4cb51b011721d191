"""What ``gateway.app.create_app`` adds to the Litestar app for the HTML pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.template import TemplateConfig

from gateway.settings import Settings
from gateway.rate_limits import SlidingWindowLimit
from gateway.web.routes import WEB_HANDLERS
from gateway.web.security_headers import security_headers_hook
from gateway.web.templating import web_template_config

LOOKUP_WINDOW_S = 60


@dataclass(frozen=True)
class WebParts:
    route_handlers: list[Any]
    template_config: TemplateConfig
    before_send: list[Any]
    state: dict[str, Any]


def form_action_origins(settings: Settings) -> str:
    """Where a form's redirect may lead besides ourselves: the live providers' pages (the
    sandboxes are ours, under /sandbox/)."""
    return settings.web_form_action_origins


def web_parts(settings: Settings) -> WebParts:
    return WebParts(
        route_handlers=list(WEB_HANDLERS),
        template_config=web_template_config(),
        before_send=[security_headers_hook(form_action_origins(settings))],
        # ``settings`` for the pages' handlers (mode, key); one look-up limit per process.
        state={"settings": settings,
               "lookup_limit": SlidingWindowLimit(settings.lookup_limit_per_minute, LOOKUP_WINDOW_S)},
    )
