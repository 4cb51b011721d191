"""Vietnamese text folded for search: no diacritics, lower case, single spaces.

Done in Python rather than with PostgreSQL's ``unaccent``: that extension needs a
superuser to install, and it leaves ``đ`` alone, which is a letter of its own rather than
``d`` with a mark, so Unicode decomposition does not remove its stroke either.
"""

from __future__ import annotations

import unicodedata

_STROKED = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """``"Giấy phép  lái xe"`` → ``"giay phep lai xe"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKED))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def search_terms(query: str) -> list[str]:
    """The folded words of a query, each of which a match must contain."""
    return fold(query).split()
