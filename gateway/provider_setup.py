"""The provider adapters a gateway process talks to, configured from settings, and the URLs
providers and browsers use to reach us."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import msgspec

from gateway.settings import Settings
from providers.protocol import ProviderAdapter
from providers.registry import CODES, ProviderConfigs, build_adapters


class ProviderLinks(msgspec.Struct, frozen=True, kw_only=True):
    public_url: str

    def callback_url(self, provider: str) -> str:
        return f"{self.public_url}/callbacks/{provider}"

    def return_url(self, provider: str, attempt_ref: str) -> str:
        """Where the provider sends the payer's browser back: the attempt is in the path, so
        that we know where to send the browser on even when the message fails to verify."""
        return f"{self.public_url}/return/{provider}/{attempt_ref}"

    def sandbox_url(self, provider: str) -> str:
        return f"{self.public_url}/sandbox/{provider}"

    def callback_urls(self) -> dict[str, str]:
        return {code: self.callback_url(code) for code in CODES}


class Providers(msgspec.Struct, frozen=True, kw_only=True):
    adapters: Mapping[str, ProviderAdapter]
    links: ProviderLinks


def provider_configs(settings: Settings) -> ProviderConfigs:
    """Each provider's config: the providers file's, over the sandbox endpoints in sandbox
    mode (live mode has no default endpoint: the file must give them)."""
    given = msgspec.json.decode(Path(settings.providers_file).read_bytes()) if settings.providers_file else {}
    unknown = set(given) - set(CODES)
    if unknown:
        raise ValueError(f"{settings.providers_file}: unknown provider(s) {', '.join(sorted(unknown))}")
    links = ProviderLinks(public_url=settings.public_url)
    configs = {}
    for code in CODES:
        defaults = {"base_url": links.sandbox_url(code)} if settings.mode == "sandbox" else {}
        configs[code] = defaults | given.get(code, {})
    return msgspec.convert(configs, ProviderConfigs)


@contextlib.asynccontextmanager
async def open_providers(settings: Settings) -> AsyncIterator[Providers]:
    """The adapters, sharing one HTTP client for the block's duration."""
    async with httpx.AsyncClient() as client:
        yield Providers(adapters=build_adapters(provider_configs(settings), client),
                        links=ProviderLinks(public_url=settings.public_url))
