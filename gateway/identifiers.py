"""Object ids and secrets: a type prefix and random base62 characters, as Stripe's."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24  # 62**24 ≈ 2**143: collisions are not a concern

# A random byte below 248 (4 × 62) names one character of the alphabet, each as likely as the
# others; the bytes above are dropped. One read of the system's randomness and one C-speed
# translation per id: a request makes several ids.
BYTE_TO_CHARACTER = bytes.maketrans(bytes(range(4 * len(ALPHABET))), (ALPHABET * 4).encode())
UNEVEN_BYTES = bytes(range(4 * len(ALPHABET), 256))


def random_base62(length: int) -> str:
    characters = b""
    while len(characters) < length:
        characters += secrets.token_bytes(length + 4).translate(BYTE_TO_CHARACTER, UNEVEN_BYTES)
    return characters[:length].decode()


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(ID_LENGTH)}"
