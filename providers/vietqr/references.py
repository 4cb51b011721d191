"""Payment references that survive a citizen's banking app, and finding them again.

The reference rides in the QR's purpose field, the app copies it into the transfer's
description, and the bank hands the description back — where people and apps have
changed its case, glued words to it, added their own, or dropped it. So a reference is
``<prefix><9 random characters><1 check character>``, uppercase, from Crockford's base-32
alphabet (no I, L, O, U, so nothing reads as another character), fixed length so that a
reference glued to other words can still be cut out, and with a check character so that
a random run of letters is almost never taken for one (1 in 32).
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 9
_VALUE = {character: value for value, character in enumerate(ALPHABET)}


def check_character(body: str) -> str:
    # Weighted by position, so that swapping two characters changes the check too.
    return ALPHABET[sum((position + 1) * _VALUE[c] for position, c in enumerate(body)) % len(ALPHABET)]


def new_reference(prefix: str) -> str:
    """A fresh reference: the attempt ref of a VietQR payment."""
    assert prefix.isascii() and prefix.isalpha() and prefix.isupper(), "prefix: uppercase ASCII letters"
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{prefix}{body}{check_character(body)}"


def is_reference(text: str, prefix: str) -> bool:
    body, check = text[len(prefix):-1], text[-1:]
    return (text.startswith(prefix) and len(body) == BODY_LENGTH and all(c in _VALUE for c in body)
            and check == check_character(body))


def extract_references(description: str, prefix: str) -> tuple[str, ...]:
    """Every well-formed reference in ``description``, whatever its case or neighbours,
    in order of appearance, each once. The gateway decides what to do with zero or many."""
    # A lookahead finds overlapping candidates ("DVCDVC…"); the check character sorts them.
    pattern = re.compile(f"(?=({re.escape(prefix)}[{ALPHABET}]{{{BODY_LENGTH + 1}}}))")
    found = (match.group(1) for match in pattern.finditer(description.upper()))
    return tuple(dict.fromkeys(candidate for candidate in found if is_reference(candidate, prefix)))
