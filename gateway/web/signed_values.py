"""Short values signed with the web key (HMAC-SHA256), for cookies and codes a browser
carries but must not forge."""

from __future__ import annotations

import base64
import hashlib
import hmac

from typing import TypeVar

import msgspec

T = TypeVar("T")


def mac(key: bytes, purpose: str, value: str) -> str:
    """A URL-safe MAC of ``value``; ``purpose`` keeps one use's MAC from passing for another's."""
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def seal(key: bytes, purpose: str, data: object) -> str:
    """``data`` (JSON-able) as ``payload.mac``: readable, not forgeable."""
    payload = base64.urlsafe_b64encode(msgspec.json.encode(data)).rstrip(b"=").decode()
    return f"{payload}.{mac(key, purpose, payload)}"


def unseal(key: bytes, purpose: str, sealed: str | None, kind: type[T]) -> T | None:
    """What ``seal`` sealed, or None for anything missing, forged or malformed."""
    if not sealed or sealed.count(".") != 1:
        return None
    payload, given = sealed.split(".")
    if not hmac.compare_digest(given, mac(key, purpose, payload)):
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), type=kind)
    except (ValueError, msgspec.DecodeError, msgspec.ValidationError):
        return None
