"""The registry and the interface: every adapter meets the Protocol, the sandboxes work
mounted under ``/sandbox/<code>/`` in one app, and requests refuse what is not money."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

import httpx
import msgspec
import pytest
from conftest import business_today, new_ref, serve
from litestar import Litestar
from litestar.handlers import asgi

from providers.protocol import ProviderAdapter, RefundRequest, StartPayment
from providers.registry import CODES, ProviderConfigs, build_adapters, close_sandboxes, sandbox_apps


def test_every_adapter_meets_the_protocol() -> None:
    adapters = build_adapters(ProviderConfigs(), httpx.AsyncClient())
    assert tuple(adapters) == CODES
    for code, adapter in adapters.items():
        assert isinstance(adapter, ProviderAdapter) and adapter.code == code


async def test_sandboxes_mounted_in_one_app() -> None:
    apps = sandbox_apps(ProviderConfigs(), {code: "http://127.0.0.1:9/callbacks" for code in CODES})
    gateway = Litestar([asgi(path, is_mount=True, copy_scope=True)(app) for path, app in apps.items()], openapi_config=None)
    async with serve(gateway) as base, httpx.AsyncClient() as client:
        for path in apps:
            statement = await client.get(f"{base}{path}/settlement/{business_today().isoformat()}")
            assert statement.status_code == 200 and statement.text.count("\n") == 1  # the header only
        configs = ProviderConfigs(momo=msgspec.structs.replace(ProviderConfigs().momo, base_url=f"{base}/sandbox/momo"),
                                  vnpay=msgspec.structs.replace(ProviderConfigs().vnpay, base_url=f"{base}/sandbox/vnpay"))
        adapters = build_adapters(configs, client)
        for code in ("momo", "vnpay"):
            ref = new_ref()
            started = await adapters[code].start_payment(StartPayment(
                attempt_ref=ref, amount_minor=10_000, currency="VND", description="Le phi",
                return_url="https://portal.example/return", notify_url="http://127.0.0.1:9/callbacks",
                created_at=datetime.now(UTC)))
            page = await client.get(started.url)
            assert page.status_code == 200, page.text
            # The page's form posts to a relative action: it must resolve inside the mount.
            action = urljoin(str(page.url), page.text.split('action="', 1)[1].split('"', 1)[0])
            fields = {"orderId" if code == "momo" else "txn_ref": ref, "scenario": "never_calls_back"}
            paid = await client.post(action, data=fields)
            assert paid.status_code == 302 and paid.headers["location"].startswith("https://portal.example/return?")
    await close_sandboxes(apps)


@pytest.mark.parametrize("amount_minor", [0, -5, True, 1.5])
def test_requests_refuse_amounts_that_are_not_money(amount_minor: object) -> None:
    with pytest.raises(ValueError, match="minor units"):
        StartPayment(attempt_ref="pi1", amount_minor=amount_minor, currency="VND", description="x",  # type: ignore[arg-type]
                     return_url="r", notify_url="n", created_at=datetime.now(UTC))


def test_requests_refuse_naive_times_and_refunds_beyond_the_payment() -> None:
    with pytest.raises(ValueError, match="time zone"):
        StartPayment(attempt_ref="pi1", amount_minor=1, currency="VND", description="x", return_url="r",
                     notify_url="n", created_at=datetime.now())
    with pytest.raises(ValueError, match="exceeds"):
        RefundRequest(refund_ref="re1", attempt_ref="pi1", provider_ref="1", amount_minor=2, payment_amount_minor=1,
                      currency="VND", payment_created_at=datetime.now(UTC), requested_at=datetime.now(UTC))
