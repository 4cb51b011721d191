"""Stripe's webhook signature: ``Stripe-Signature: t=<unix time>,v1=<hex>``, where v1 is
the HMAC-SHA256 of ``"<t>.<raw body>"`` under the endpoint's secret. Several v1 values
may appear (while a secret is rolled); any one matching is enough. A timestamp outside
the tolerance is a replay, however well signed."""

from __future__ import annotations

import hashlib
import hmac

from providers.errors import SignatureInvalid


def signature(payload: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()


def signature_header(payload: bytes, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(payload, secret, timestamp)}"


def verify_signature_header(payload: bytes, header: str | None, secret: str, tolerance_s: int, now: int) -> None:
    """Raise SignatureInvalid with the reason, or return when one v1 signs ``payload``."""
    if not header:
        raise SignatureInvalid("no Stripe-Signature header")
    pairs = [item.split("=", 1) for item in header.split(",") if "=" in item]
    timestamps = [value for key, value in pairs if key.strip() == "t"]
    candidates = [value.strip() for key, value in pairs if key.strip() == "v1"]
    if len(timestamps) != 1 or not timestamps[0].strip().isdigit() or not candidates:
        raise SignatureInvalid("Stripe-Signature has no timestamp or no v1 signature")
    timestamp = int(timestamps[0])
    expected = signature(payload, secret, timestamp).encode()
    # Compare against every candidate, without stopping early, in constant time each.
    matched = [hmac.compare_digest(candidate.encode(), expected) for candidate in candidates]
    if not any(matched):
        raise SignatureInvalid("no v1 signature matches the payload")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureInvalid(f"signed {now - timestamp} s ago, outside the {tolerance_s} s tolerance")
