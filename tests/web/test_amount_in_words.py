"""Amounts in Vietnamese words: worked examples from receipts, and a reader that turns the
words back into the number for every amount the ledger can hold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.web.amount_in_words import DIGITS, LIMIT, amount_in_words

VALUES = {word: n for n, word in enumerate(DIGITS)} | {"mốt": 1, "lăm": 5}
VOCABULARY = set(VALUES) | {"mười", "mươi", "trăm", "linh", "nghìn", "triệu", "tỷ", "đồng"}


@pytest.mark.parametrize(("amount", "words"), [
    (0, "Không đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (55, "Năm mươi lăm đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (150_000, "Một trăm năm mươi nghìn đồng"),
    (412_350, "Bốn trăm mười hai nghìn ba trăm năm mươi đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (18_000_000, "Mười tám triệu đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (2_000_000_015, "Hai tỷ không trăm mười lăm đồng"),
    (99_999_999_999, "Chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn"
                     " chín trăm chín mươi chín đồng"),
])
def test_receipts_read_these_amounts_so(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


def read_back(text: str) -> int:
    """The number Vietnamese words name: the inverse the property below relies on."""
    assert text.endswith(" đồng")
    return _below(text.removesuffix(" đồng").lower().split())


def _below(words: list[str]) -> int:
    if "tỷ" in words:
        cut = len(words) - 1 - words[::-1].index("tỷ")
        return _below(words[:cut]) * 10**9 + _below(words[cut + 1:])
    total = 0
    for scale, size in (("triệu", 10**6), ("nghìn", 10**3)):
        if scale in words:
            cut = words.index(scale)
            total += _group(words[:cut]) * size
            words = words[cut + 1:]
    return total + _group(words)


def _group(words: list[str]) -> int:
    value, pending = 0, 0
    for word in words:
        if word in VALUES:
            pending = VALUES[word]
        elif word == "trăm":
            value, pending = value + pending * 100, 0
        elif word == "mươi":
            value, pending = value + pending * 10, 0
        elif word == "mười":
            value += 10
    return value + pending


@given(st.integers(min_value=0, max_value=LIMIT - 1) | st.integers(min_value=0, max_value=10**7))
def test_the_words_name_the_amount_and_nothing_else(amount: int) -> None:
    text = amount_in_words(amount)
    assert read_back(text) == amount
    assert text[0].isupper() and text[1:] == text[1:].lower()
    assert set(text.lower().split()) <= VOCABULARY
    assert "  " not in text


def test_amounts_outside_the_ledger_are_refused() -> None:
    for amount in (-1, LIMIT):
        with pytest.raises(AssertionError):
            amount_in_words(amount)
