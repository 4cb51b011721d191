"""Every adapter fetches its provider's settlement file itself (``fetch_settlement``), from
its sandbox over real HTTP: the bytes its own parser reads; no file is a refusal, no
answer is the provider unavailable, and the gateway's inbox keeps what was fetched."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.handlers import asgi

from gateway.settlement_files import Inbox, SettlementFileUnavailable, settlement_file
from providers.errors import ProviderRejected, ProviderUnavailable
from providers.registry import CODES, ProviderConfigs, build_adapters, close_sandboxes, sandbox_apps
from tests.gateway.conftest import free_port
from tests.providers.conftest import business_today, serve


def configs_at(base: str) -> ProviderConfigs:
    defaults = ProviderConfigs()
    return ProviderConfigs(**{code: msgspec.structs.replace(getattr(defaults, code), base_url=f"{base}/sandbox/{code}")
                              for code in CODES})


async def test_each_adapter_fetches_its_file_from_its_provider(tmp_path):
    apps = sandbox_apps(ProviderConfigs(), {code: "http://127.0.0.1:9/callbacks" for code in CODES})
    sandboxes = Litestar([asgi(path, is_mount=True, copy_scope=True)(app) for path, app in apps.items()],
                         openapi_config=None)
    day = business_today()
    try:
        async with serve(sandboxes) as base, httpx.AsyncClient() as client:
            adapters = build_adapters(configs_at(base), client)
            for code, adapter in adapters.items():
                served = (await client.get(f"{base}/sandbox/{code}/settlement/{day.isoformat()}")).content
                fetched = await adapter.fetch_settlement(day)
                assert fetched == served, code
                assert adapter.parse_settlement(fetched) == []
            # The gateway keeps a fetched file in the inbox: the next run reads those bytes.
            kept = await settlement_file(Inbox(tmp_path), adapters["vnpay"], day - timedelta(days=1))
            assert kept == tmp_path / "settlements" / "vnpay" / f"{day - timedelta(days=1)}.csv"
            assert kept.read_bytes() == await adapters["vnpay"].fetch_settlement(day - timedelta(days=1))
            # A provider answering without a file (here: no such path) refuses; the gateway says so.
            elsewhere = build_adapters(configs_at(f"{base}/nowhere"), client)
            for adapter in elsewhere.values():
                with pytest.raises(ProviderRejected, match="no settlement file"):
                    await adapter.fetch_settlement(day)
            with pytest.raises(SettlementFileUnavailable, match="vnpay's settlement file for .* could not be"):
                await settlement_file(Inbox(tmp_path), elsewhere["vnpay"], day)
    finally:
        await close_sandboxes(apps)


async def test_an_unreachable_provider_is_unavailable():
    async with httpx.AsyncClient() as client:
        adapters = build_adapters(configs_at(f"http://127.0.0.1:{free_port()}"), client)
        for adapter in adapters.values():
            with pytest.raises(ProviderUnavailable):
                await adapter.fetch_settlement(date(2026, 11, 21))
