"""A MoMo partner's credentials and endpoint (sandbox defaults)."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class MomoConfig(msgspec.Struct, frozen=True, kw_only=True):
    # What a live gateway must be given: these defaults are the sandbox's, public in this code.
    LIVE_REQUIRED: ClassVar[tuple[str, ...]] = ("partner_code", "access_key", "secret_key", "base_url")

    partner_code: str = "MOMOPUBLICPAY"
    access_key: str = "PUBLICPAYACCESSKEY"
    secret_key: str = "publicpay-sandbox-momo-secret-key"
    # MoMo's hosts (https://test-payment.momo.vn, https://payment.momo.vn) serve the API
    # under /v2/gateway/api/; the sandbox serves the same paths under this base.
    base_url: str = "http://127.0.0.1:8000/sandbox/momo"
    request_type: str = "captureWallet"
    # Sent as each order's orderExpireTime (whole minutes): an order left unpaid that long
    # fails at MoMo (resultCode 1005), so the status query can end the attempt.
    order_expire_minutes: int = 15
    timeout_s: float = 30.0  # MoMo's own guidance: allow 30 s for create

    def endpoint(self, name: str) -> str:
        return f"{self.base_url}/v2/gateway/api/{name}"
