"""The fine look-up box: a decision number or a plate, however it is typed, becomes the
catalogue's form; anything else is refused with the field and the reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalogue.errors import InvalidInput
from catalogue.loading import bundled_seed
from gateway.checkout.journeys import ELECTRICITY_SERVICE, FINE_SERVICE
from gateway.checkout.lookups import DECISION_FIELD, PLATE_FIELD, Lookup, read_field, read_fine_lookup
from tests.strategies import typed_decision_numbers, typed_plates

SERVICES = {service.code: service for service in bundled_seed().services}
FINE_FIELDS = {field.name: field for field in SERVICES[FINE_SERVICE].fields}


@given(typed_plates())
def test_a_plate_is_read_whatever_its_separators_and_case(typed: tuple[str, str]) -> None:
    text, compact = typed
    assert read_fine_lookup(f" {text} ", FINE_FIELDS) == Lookup(PLATE_FIELD, compact)


@given(typed_decision_numbers())
def test_a_decision_number_is_read_with_or_without_the_accent(typed: tuple[str, str]) -> None:
    text, kept = typed
    assert read_fine_lookup(text, FINE_FIELDS) == Lookup(DECISION_FIELD, kept)


@pytest.mark.parametrize(("text", "field", "code"), [
    ("", DECISION_FIELD, "missing_field"),
    ("   ", DECISION_FIELD, "missing_field"),
    ("30A", PLATE_FIELD, "malformed"),
    ("ABC-123.45", PLATE_FIELD, "malformed"),
    ("12/XYZ", DECISION_FIELD, "malformed"),
    ("0012345/QĐ-", DECISION_FIELD, "malformed"),
])
def test_anything_else_is_refused_naming_the_field(text: str, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_fine_lookup(text, FINE_FIELDS)
    assert (refused.value.field, refused.value.code) == (field, code)


@given(st.text(max_size=30).filter(lambda s: "/" not in s))
def test_text_without_a_slash_is_only_ever_a_plate(text: str) -> None:
    try:
        lookup = read_fine_lookup(text, FINE_FIELDS)
    except InvalidInput as refused:
        assert refused.field in (PLATE_FIELD, DECISION_FIELD)
    else:
        assert lookup.field == PLATE_FIELD and lookup.value.isalnum()


def test_a_customer_code_is_compacted_and_checked() -> None:
    field = next(f for f in SERVICES[ELECTRICITY_SERVICE].fields if f.name == "customer_code")
    assert read_field(" pe01-000.012 345 ", field) == "PE01000012345"
    for bad, code in (("", "missing_field"), ("X123", "malformed")):
        with pytest.raises(InvalidInput) as refused:
            read_field(bad, field)
        assert refused.value.code == code
