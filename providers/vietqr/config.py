"""Our collection account at a bank, reached by VietQR transfers (sandbox defaults)."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class VietqrConfig(msgspec.Struct, frozen=True, kw_only=True):
    # What a live gateway must be given: these defaults are the sandbox's, public in this code.
    LIVE_REQUIRED: ClassVar[tuple[str, ...]] = ("account_number", "webhook_secret", "api_key", "base_url")

    acquirer_bin: str = "970436"  # the bank's NAPAS BIN (Vietcombank's here)
    account_number: str = "0011001234567"
    reference_prefix: str = "DVC"  # letters only: see providers.vietqr.references
    webhook_secret: str = "publicpay-sandbox-bank-webhook-secret"
    api_key: str = "publicpay-sandbox-bank-api-key"  # the bank's account API (search, returns)
    base_url: str = "http://127.0.0.1:8000/sandbox/vietqr"
    timeout_s: float = 15.0
    # How long a QR is offered for. A transfer needs no order at the bank, so nothing there
    # expires: an attempt no credit paid within this is ended by us (failed, "expired").
    expire_after_s: int = 15 * 60
