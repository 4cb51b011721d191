"""The provider adapters a gateway process talks to, configured from settings, and the URLs
providers and browsers use to reach us.

Test-mode payments (an ``sk_test_`` key, or the pages of a sandbox gateway) always go to the
providers' sandboxes, whatever the gateway's mode; live-mode payments go to the adapters of
the gateway's mode: the real providers in live mode, the sandboxes in sandbox mode (where
nothing is real). So a live gateway has two sets of adapters, and ``Providers.for_mode``
says which one a payment uses."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import msgspec

from gateway.settings import Settings
from providers.protocol import ProviderAdapter
from providers.registry import CODES, ProviderConfigs, build_adapters, sandbox_defaults_kept


class ProviderLinks(msgspec.Struct, frozen=True, kw_only=True):
    public_url: str

    def callback_url(self, provider: str, *, test_mode: bool = False) -> str:
        """Where ``provider`` calls back; with ``test_mode``, the test route, where a live
        gateway's sandboxes call back (gateway.payments.callbacks, test_mode_apart)."""
        route = "callbacks/test" if test_mode else "callbacks"
        return f"{self.public_url}/{route}/{provider}"

    def return_url(self, provider: str, attempt_ref: str) -> str:
        """Where the provider sends the payer's browser back: the attempt is in the path, so
        that we know where to send the browser on even when the message fails to verify."""
        return f"{self.public_url}/return/{provider}/{attempt_ref}"

    def sandbox_url(self, provider: str) -> str:
        return f"{self.public_url}/sandbox/{provider}"


class Providers(msgspec.Struct, frozen=True, kw_only=True):
    # The gateway's mode's adapters: the real providers in live mode. Reconciliation and the
    # console work with these (a provider's settlement file is the real one).
    adapters: Mapping[str, ProviderAdapter]
    # For test-mode payments: the sandboxes' adapters (the same mapping in sandbox mode).
    sandboxes: Mapping[str, ProviderAdapter]
    links: ProviderLinks

    def for_mode(self, livemode: bool) -> Mapping[str, ProviderAdapter]:
        """The adapters a payment of this mode is started, queried and refunded through."""
        return self.adapters if livemode else self.sandboxes

    def test_mode_apart(self, livemode: bool) -> bool:
        """Whether a payment of this mode is a test-mode one in a live gateway, served by
        sandboxes apart from the gateway's own adapters (in sandbox mode they are the same)."""
        return not livemode and self.sandboxes is not self.adapters

    def callback_url(self, provider: str, livemode: bool) -> str:
        """Where ``provider`` calls back about a payment of this mode."""
        return self.links.callback_url(provider, test_mode=self.test_mode_apart(livemode))


def serves_test_mode_apart(settings: Settings) -> bool:
    """Whether test-mode payments go to sandboxes apart from the gateway's own adapters: in
    live mode; in sandbox mode the gateway's adapters are the sandboxes."""
    return settings.mode == "live"


def provider_configs(settings: Settings) -> ProviderConfigs:
    """Each provider's config for the gateway's mode: the providers file's, over the sandbox
    endpoints in sandbox mode. Live mode has no defaults for credentials and endpoints: the
    file must give them for every provider, or the gateway does not start."""
    given = msgspec.json.decode(Path(settings.providers_file).read_bytes()) if settings.providers_file else {}
    unknown = set(given) - set(CODES)
    if unknown:
        raise ValueError(f"{settings.providers_file}: unknown provider(s) {', '.join(sorted(unknown))}")
    if settings.mode == "sandbox":
        return _sandbox_configs(settings, given)
    configs = msgspec.convert(given, ProviderConfigs)
    if kept := sandbox_defaults_kept(configs):
        raise ValueError(f"live mode: {settings.providers_file or 'no PUBLICPAY_PROVIDERS_FILE'} leaves the sandbox's"
                         f" public defaults for {', '.join(kept)}: give each provider its own")
    return configs


def sandbox_configs(settings: Settings) -> ProviderConfigs:
    """The configs test-mode payments use, and the sandboxes' process runs with: in sandbox
    mode the gateway's own; in live mode the sandboxes' defaults alone, so that no real
    provider's credentials or endpoints ever serve a test payment."""
    return provider_configs(settings) if settings.mode == "sandbox" else _sandbox_configs(settings, {})


def _sandbox_configs(settings: Settings, given: Mapping[str, dict]) -> ProviderConfigs:
    links = ProviderLinks(public_url=settings.public_url)
    return msgspec.convert({code: {"base_url": links.sandbox_url(code)} | given.get(code, {}) for code in CODES},
                           ProviderConfigs)


@contextlib.asynccontextmanager
async def open_providers(settings: Settings) -> AsyncIterator[Providers]:
    """The adapters, sharing one HTTP client for the block's duration."""
    async with httpx.AsyncClient() as client:
        adapters = build_adapters(provider_configs(settings), client)
        sandboxes = build_adapters(sandbox_configs(settings), client) if serves_test_mode_apart(settings) else adapters
        yield Providers(adapters=adapters, sandboxes=sandboxes, links=ProviderLinks(public_url=settings.public_url))
