"""Object ids and secrets: a type prefix and random base62 characters, as Stripe's."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24  # 62**24 ≈ 2**143: collisions are not a concern


def random_base62(length: int) -> str:
    # One uniform number below 62**length, written in base 62: a single read of the system's
    # randomness per id (a request makes several ids), where a choice per character made one each.
    number = secrets.randbelow(len(ALPHABET) ** length)
    characters = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        characters.append(ALPHABET[digit])
    return "".join(characters)


def new_id(prefix: str) -> str:
    return f"{prefix}_{random_base62(ID_LENGTH)}"
