"""The secret key from ``Authorization``: ``Bearer sk_…``, or HTTP Basic with the key as the
user name (what ``curl -u sk_…:`` sends), as Stripe accepts both."""

from __future__ import annotations

import base64
import binascii
import re

from gateway.errors import AuthenticationFailed

SECRET_KEY = re.compile(r"sk_(test|live)_[A-Za-z0-9]{8,128}")

NO_KEY = ("You did not provide an API key. You need to provide your API key in the Authorization header,"
          " using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")


def secret_from_authorization(header: str | None) -> str:
    if not header:
        raise AuthenticationFailed(NO_KEY)
    scheme, _, credentials = header.strip().partition(" ")
    match scheme.lower():
        case "bearer":
            secret = credentials.strip()
        case "basic":
            try:
                secret = base64.b64decode(credentials.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise AuthenticationFailed("Invalid HTTP Basic credentials.") from None
        case _:
            raise AuthenticationFailed(NO_KEY)
    if not SECRET_KEY.fullmatch(secret):
        raise AuthenticationFailed(f"Invalid API Key provided: {redacted(secret)}")
    return secret


def redacted(secret: str) -> str:
    """As Stripe shows a rejected key: enough to recognise it, not enough to use it."""
    return secret[:8] + "*" * max(len(secret) - 12, 0) + secret[-4:] if len(secret) > 12 else "*" * len(secret)
