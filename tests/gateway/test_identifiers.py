"""Ids: a prefix and base62 characters, each character as likely as any other."""

import collections
import re

from gateway.identifiers import BYTE_TO_CHARACTER, UNEVEN_BYTES, ALPHABET, ID_LENGTH, new_id, random_base62


def test_ids_have_their_prefix_and_length():
    ids = {new_id("pi") for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(re.fullmatch(f"pi_[{ALPHABET}]{{{ID_LENGTH}}}", one) for one in ids)
    assert all(len(random_base62(length)) == length for length in range(1, 100))


def test_the_kept_bytes_name_every_character_equally_often():
    kept = bytes(byte for byte in range(256) if byte not in UNEVEN_BYTES)
    assert collections.Counter(kept.translate(BYTE_TO_CHARACTER).decode()) == {character: 4 for character in ALPHABET}
