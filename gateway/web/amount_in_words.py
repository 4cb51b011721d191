"""An amount of đồng in Vietnamese words, as receipts and payment orders print it:
``150000`` → ``Một trăm năm mươi nghìn đồng``.

The reading rules: ``linh`` for an empty tens place after hundreds (105: một trăm linh
năm); ``mười`` for ten, ``mươi`` for the other tens; ``mốt`` for a final 1 after twenty
and more (21: hai mươi mốt); ``lăm`` for a final 5 after ten and more (15: mười lăm); a
group of three digits after a higher one is read whole (1 005 000: một triệu không trăm
linh năm nghìn); groups of zeros are skipped; ``tỷ`` (10⁹) repeats its reading above.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
BILLION = 10**9
LIMIT = 2**63  # the ledger's largest amount (a PostgreSQL bigint) reads "... tỷ tỷ ..."


def amount_in_words(amount_minor: int) -> str:
    assert 0 <= amount_minor < LIMIT, amount_minor
    words = _spell(amount_minor, whole=False) if amount_minor else ["không"]
    text = " ".join(words)
    return f"{text[0].upper()}{text[1:]} đồng"


def _spell(number: int, whole: bool) -> list[str]:
    """``whole``: a higher place was read, so the first group reads its zero hundreds."""
    if number >= BILLION:
        billions, rest = divmod(number, BILLION)
        return [*_spell(billions, whole), "tỷ", *(_spell(rest, whole=True) if rest else [])]
    words: list[str] = []
    for group, scale in ((number // 10**6, "triệu"), (number // 1000 % 1000, "nghìn"), (number % 1000, "")):
        if group:
            words += _group(group, whole)
            words += [scale] if scale else []
            whole = True
    return words


def _group(number: int, whole: bool) -> list[str]:
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words = [DIGITS[hundreds], "trăm"] if whole or hundreds else []
    if tens == 0:
        words += ["linh"] if units and words else []
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words
