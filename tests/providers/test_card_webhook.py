"""Stripe-Signature: as Stripe computes it, several v1 while a secret rolls, and refusals."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from providers.card.webhook import signature_header, verify_signature_header
from providers.errors import SignatureInvalid

SECRET, OLD_SECRET, NOW = "whsec_new", "whsec_old", 1_790_000_000
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'


def test_v1_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_header(BODY, SECRET, NOW) == f"t={NOW},v1={expected}"
    verify_signature_header(BODY, f"t={NOW},v1={expected}", SECRET, 300, NOW + 299)


def test_any_one_of_several_v1_is_enough() -> None:
    old = signature_header(BODY, OLD_SECRET, NOW).split(",")[1]
    new = signature_header(BODY, SECRET, NOW).split(",")[1]
    verify_signature_header(BODY, f"t={NOW},{old},{new}", SECRET, 300, NOW)


@pytest.mark.parametrize(("header", "reason"), [
    (None, "no Stripe-Signature"),
    ("", "no Stripe-Signature"),
    ("v1=abc", "no timestamp"),
    (f"t={NOW}", "no v1"),
    ("t=soon,v1=abc", "no timestamp"),
    (f"t={NOW},v0=abc", "no v1"),
])
def test_malformed_headers(header: str | None, reason: str) -> None:
    with pytest.raises(SignatureInvalid, match=reason):
        verify_signature_header(BODY, header, SECRET, 300, NOW)


def test_future_timestamps_are_replays_too() -> None:
    with pytest.raises(SignatureInvalid, match="tolerance"):
        verify_signature_header(BODY, signature_header(BODY, SECRET, NOW + 301), SECRET, 300, NOW)
