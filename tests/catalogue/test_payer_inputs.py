"""What a payer types, checked against a service's fields; and definitions that cannot be
priced refused when they are read, with the path to the fault."""

from datetime import date

import msgspec
import pytest

from catalogue.definitions import CatalogueFile, Service
from catalogue.errors import InvalidInput
from catalogue.fees import FixedFee, OptionFee
from catalogue.model import FieldKind, Normalize, PayerField
from catalogue.validation import validate_inputs

SERVICE = Service(
    code="TEST-SERVICE", agency_code="BTP", name_vi="Thử", name_en="Test", online_level=4, providers=["vnpay"],
    fee=OptionFee(field="licence_class", amounts_minor={"A1": 1, "B": 2}),
    fields=[
        PayerField(name="plate_number", label_vi="Biển số", label_en="Plate number", normalize=Normalize.COMPACT_UPPER,
                   pattern=r"^[0-9]{2}[A-Z]{1,2}[0-9]?[0-9]{4,5}$"),
        PayerField(name="licence_class", label_vi="Hạng", label_en="Licence class", kind=FieldKind.CHOICE, choices=["A1", "B"]),
        PayerField(name="pages", label_vi="Số trang", label_en="Pages", kind=FieldKind.INTEGER, minimum=1, maximum=100),
        PayerField(name="declared_value", label_vi="Giá trị", label_en="Value", kind=FieldKind.AMOUNT, required=False),
        PayerField(name="issued_on", label_vi="Ngày", label_en="Date", kind=FieldKind.DATE, required=False),
    ],
)
GOOD = {"plate_number": "30a-123.45", "licence_class": "B", "pages": "3"}


def test_values_are_normalised_and_typed():
    values = validate_inputs(SERVICE, GOOD | {"declared_value": 1_500_000, "issued_on": "2025-03-14"})
    assert values == {"plate_number": "30A12345", "licence_class": "B", "pages": 3, "declared_value": 1_500_000,
                      "issued_on": date(2025, 3, 14)}
    assert validate_inputs(SERVICE, GOOD | {"declared_value": " "}) == {"plate_number": "30A12345", "licence_class": "B",
                                                                      "pages": 3}


@pytest.mark.parametrize("change, field, code", [
    ({"plate_number": None}, "plate_number", "missing_field"),
    ({"pages": ""}, "pages", "missing_field"),
    ({"plate_number": "ABC-123"}, "plate_number", "malformed"),
    ({"licence_class": "Z"}, "licence_class", "not_allowed"),
    ({"pages": "3.5"}, "pages", "malformed"),
    ({"pages": "-1"}, "pages", "malformed"),
    ({"pages": 101}, "pages", "out_of_range"),
    ({"pages": True}, "pages", "malformed"),
    ({"declared_value": "1.500.000"}, "declared_value", "malformed"),
    ({"issued_on": "14/03/2025"}, "issued_on", "malformed"),
    ({"issued_on": "20250314"}, "issued_on", "malformed"),
    ({"colour": "red"}, "colour", "unknown_field"),
])
def test_every_refusal_names_the_field_and_the_reason(change, field, code):
    raw = {k: v for k, v in (GOOD | change).items() if v is not None}
    with pytest.raises(InvalidInput) as refused:
        validate_inputs(SERVICE, raw)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert str(refused.value).startswith(f"{field}: ")


def test_a_supplied_field_is_neither_asked_for_nor_checked():
    values = validate_inputs(SERVICE, {k: v for k, v in GOOD.items() if k != "pages"}, supplied={"pages"})
    assert "pages" not in values


def service_document(**changes) -> dict:
    return msgspec.to_builtins(SERVICE) | changes


@pytest.mark.parametrize("changes, path, words", [
    ({"fee": {"kind": "by_option", "field": "licence_class", "amounts_minor": {"A1": 1}}}, "$.services[0]", "every choice"),
    ({"fee": {"kind": "percentage", "field": "licence_class", "rate_percent": "1"}}, "$.services[0]", "integer or amount"),
    ({"fee": {"kind": "percentage", "field": "pages", "rate_percent": "101"}}, "$.services[0].fee", "between 0 and 100"),
    ({"fee": {"kind": "fixed", "amount_minor": -1}}, "$.services[0].fee.amount_minor", ">= 0"),
    ({"fee": {"kind": "flat", "amount_minor": 1}}, "$.services[0].fee.kind", "Invalid value 'flat'"),
    ({"online_level": 2}, "$.services[0].online_level", "Invalid enum value 2"),
    ({"providers": ["paypal"]}, "$.services[0].providers[0]", "Invalid enum value 'paypal'"),
    ({"code": "test service"}, "$.services[0].code", "Expected `str` matching regex"),
    ({"currency": "USD"}, "$.services[0].currency", "Invalid enum value 'USD'"),
    ({"fee": {"kind": "by_bracket", "field": "pages", "brackets": [{"up_to": 5, "amount_minor": 1}]}},
     "$.services[0].fee", "unbounded"),
    ({"fee": {"kind": "fixed", "amount_minor": 10}, "split": {"remainder_to": "BTP", "shares": [
        {"kind": "fixed", "party": "NSTW", "amount_minor": 20}]}}, "$.services[0]", "fixed shares exceed its fee"),
])
def test_a_definition_that_cannot_be_priced_is_refused_with_its_path(changes, path, words):
    document = {"version": 1, "services": [service_document(**changes)]}
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(document, CatalogueFile)
    assert str(refused.value).endswith(f"at `{path}`"), str(refused.value)
    assert words in str(refused.value)


def test_a_free_service_is_one_whose_fee_is_a_fixed_zero():
    assert msgspec.structs.replace(SERVICE, fee=FixedFee(amount_minor=0)).is_free
    assert not msgspec.structs.replace(SERVICE, fee=FixedFee(amount_minor=1)).is_free
    assert not SERVICE.is_free
