"""Object ids and secrets: a type prefix and random base62 characters, as Stripe's."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24  # 62**24 ≈ 2**143: collisions are not a concern


def random_base62(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(ID_LENGTH)}"
