"""Every provider by its code: the adapters the gateway calls, and the sandboxes that
``publicpay serve`` mounts in sandbox mode.

Mount each sandbox app at its path, e.g. in the gateway's ``create_app``::

    from litestar.handlers import asgi
    mounts = [asgi(path, is_mount=True, copy_scope=True)(app) for path, app in sandbox_apps(configs, callback_urls).items()]

A mounted Litestar app gets no lifespan events of its own, so the gateway's shutdown
should ``await close_sandboxes(apps)``: it cancels callbacks still waiting to be sent.
Each sandbox keeps its state in memory: serve them from one worker process.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import msgspec
from litestar import Litestar

from providers.card.adapter import CardAdapter
from providers.card.config import CardConfig
from providers.card.sandbox import create_sandbox_app as card_sandbox
from providers.momo.adapter import MomoAdapter
from providers.momo.config import MomoConfig
from providers.momo.sandbox import create_sandbox_app as momo_sandbox
from providers.protocol import ProviderAdapter
from providers.simulation.scenarios import SandboxTiming
from providers.vietqr.adapter import VietqrAdapter
from providers.vietqr.config import VietqrConfig
from providers.vietqr.sandbox import create_sandbox_app as vietqr_sandbox
from providers.vnpay.adapter import VnpayAdapter
from providers.vnpay.config import VnpayConfig
from providers.vnpay.sandbox import create_sandbox_app as vnpay_sandbox

CODES = ("vnpay", "momo", "vietqr", "card")


class ProviderConfigs(msgspec.Struct, frozen=True, kw_only=True):
    """One config per provider; the gateway fills them from its PUBLICPAY_* settings."""

    vnpay: VnpayConfig = VnpayConfig()
    momo: MomoConfig = MomoConfig()
    vietqr: VietqrConfig = VietqrConfig()
    card: CardConfig = CardConfig()


def sandbox_defaults_kept(configs: ProviderConfigs) -> list[str]:
    """The credentials and endpoints (``code.field``) still at the sandbox's defaults, which
    anyone can read here: a live gateway with one would take forged callbacks as a provider's,
    or send live payments to a sandbox."""
    defaults = ProviderConfigs()
    return [f"{code}.{field}" for code in CODES for field in type(getattr(configs, code)).LIVE_REQUIRED
            if getattr(getattr(configs, code), field) == getattr(getattr(defaults, code), field)]


def build_adapters(configs: ProviderConfigs, client: httpx.AsyncClient) -> dict[str, ProviderAdapter]:
    """The adapters by code, sharing the gateway's HTTP client (each call sets its own timeout)."""
    return {
        "vnpay": VnpayAdapter(configs.vnpay, client),
        "momo": MomoAdapter(configs.momo, client),
        "vietqr": VietqrAdapter(configs.vietqr, client),
        "card": CardAdapter(configs.card, client),
    }


def sandbox_apps(configs: ProviderConfigs, callback_urls: Mapping[str, str],
                 timing: SandboxTiming = SandboxTiming()) -> dict[str, Litestar]:
    """``/sandbox/<code>`` → its app. ``callback_urls`` holds the gateway's callback
    endpoint for each provider that registers one per merchant (vnpay, vietqr, card);
    MoMo takes it in every create request instead."""
    return {
        "/sandbox/vnpay": vnpay_sandbox(configs.vnpay, ipn_url=callback_urls["vnpay"], timing=timing),
        "/sandbox/momo": momo_sandbox(configs.momo, timing=timing),
        "/sandbox/vietqr": vietqr_sandbox(configs.vietqr, webhook_url=callback_urls["vietqr"], timing=timing),
        "/sandbox/card": card_sandbox(configs.card, webhook_url=callback_urls["card"], timing=timing),
    }


async def close_sandboxes(apps: Mapping[str, Litestar]) -> None:
    for app in apps.values():
        await app.state.sandbox.notifier.close()
