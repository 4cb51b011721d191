"""VietQR references: found whatever the case and whatever surrounds them, and nothing
else found where nothing else is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from strategies import any_case, description_noise, description_words

from providers.vietqr.references import check_character, extract_references, is_reference, new_reference

PREFIX = "DVC"


@st.composite
def written_references(draw) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    reference = new_reference(PREFIX)
    return reference, draw(any_case(reference))


@given(written_references(), description_noise, description_noise)
def test_found_whatever_the_case_and_surroundings(written: tuple[str, str], before: str, after: str) -> None:
    reference, as_typed = written
    assert reference in extract_references(f"{before}{as_typed}{after}", PREFIX)


@given(written_references(), description_words, description_words)
def test_found_alone_among_plain_words(written: tuple[str, str], before: str, after: str) -> None:
    reference, as_typed = written
    assert extract_references(f"{before} {as_typed} {after}", PREFIX) == (reference,)


@given(description_words)
def test_nothing_found_in_a_description_without_one(words: str) -> None:
    assert extract_references(words, PREFIX) == ()


def test_swapping_two_characters_breaks_the_check() -> None:
    body = "123456789"
    reference = f"{PREFIX}{body}{check_character(body)}"
    swapped = f"{PREFIX}213456789{check_character(body)}"
    assert is_reference(reference, PREFIX) and not is_reference(swapped, PREFIX)
    assert extract_references(f"CK {swapped} le phi", PREFIX) == ()


def test_every_reference_in_order_each_once() -> None:
    first, second = new_reference(PREFIX), new_reference(PREFIX)
    assert extract_references(f"{first} {second.lower()} {first}", PREFIX) == (first, second)
