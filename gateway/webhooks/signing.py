"""Stripe's webhook signature, so that ``stripe.Webhook.construct_event`` accepts ours."""

from __future__ import annotations

import hashlib
import hmac


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    """``Stripe-Signature``: t=<unix time>,v1=<HMAC-SHA256 hex of "<t>.<payload>">."""
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def retry_delay_s(attempts: int, base_s: float, cap_s: float = 3600.0) -> float:
    """Exponential back-off after ``attempts`` failed attempts: base, 2×base, 4×base… capped."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1))
