"""The acquirer account's keys and endpoint (sandbox defaults, Stripe's key formats)."""

from __future__ import annotations

from typing import ClassVar

import msgspec


class CardConfig(msgspec.Struct, frozen=True, kw_only=True):
    # What a live gateway must be given: these defaults are the sandbox's, public in this code.
    LIVE_REQUIRED: ClassVar[tuple[str, ...]] = ("secret_key", "webhook_secret", "base_url")

    secret_key: str = "sk_test_publicpay_sandbox"
    webhook_secret: str = "whsec_publicpay_sandbox"
    account_id: str = "acct_publicpay"  # events for any other account are not ours
    base_url: str = "http://127.0.0.1:8000/sandbox/card"  # Stripe: https://api.stripe.com
    webhook_tolerance_s: int = 300  # Stripe's default: older signatures are replays
    timeout_s: float = 30.0
