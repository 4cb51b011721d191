"""A merchant's VNPAY terminal: credentials and endpoints (sandbox defaults)."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class VnpayConfig(msgspec.Struct, frozen=True, kw_only=True):
    # What a live gateway must be given: these defaults are the sandbox's, public in this code.
    LIVE_REQUIRED: ClassVar[tuple[str, ...]] = ("tmn_code", "hash_secret", "base_url")

    tmn_code: str = "PUBLICPY"  # VNPAY's terminal code, eight characters
    hash_secret: str = "PUBLICPAYSANDBOXVNPAYHASHSECRET0"
    # The payment page and the merchant API live under one host at VNPAY, at these paths:
    # https://sandbox.vnpayment.vn/paymentv2/vpcpay.html and …/merchant_webapi/api/transaction.
    base_url: str = "http://127.0.0.1:8000/sandbox/vnpay"
    server_ip: str = "127.0.0.1"  # vnp_IpAddr of our API calls
    locale: str = "vn"
    order_type: str = "other"
    expire_after_s: int = 15 * 60
    timeout_s: float = 10.0

    @property
    def payment_url(self) -> str:
        return f"{self.base_url}/paymentv2/vpcpay.html"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/merchant_webapi/api/transaction"
