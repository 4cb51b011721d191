"""Decimal strings to minor units and back: exact, or refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciliation.amounts import currency_exponent, format_amount_minor, parse_amount_minor
from reconciliation.errors import AmountFormatError


@pytest.mark.parametrize(("currency", "exponent"), [("VND", 0), ("JPY", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("CLF", 4)])
def test_exponents_follow_iso_4217(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


@pytest.mark.parametrize(("text", "currency", "amount_minor"), [
    ("15568.27", "EUR", 1556827),
    ("0.01", "EUR", 1),
    ("1.5", "EUR", 150),
    ("7", "EUR", 700),
    ("200000", "VND", 200000),
    ("0.001", "KWD", 1),
    (" 12.30\n", "EUR", 1230),  # XML Schema collapses whitespace around a decimal
    ("999999999999999999", "VND", 999_999_999_999_999_999),  # 18 digits, the ISO 20022 maximum
])
def test_parses_exactly(text: str, currency: str, amount_minor: int) -> None:
    assert parse_amount_minor(text, currency) == amount_minor


@pytest.mark.parametrize(("text", "currency", "reason"), [
    ("100.5", "VND", "1 decimal places but VND allows 0"),
    ("100.00", "VND", "2 decimal places but VND allows 0"),
    ("1.234", "EUR", "3 decimal places but EUR allows 2"),
    ("-1.00", "EUR", "not an unsigned decimal"),
    ("+1.00", "EUR", "not an unsigned decimal"),
    ("1e3", "EUR", "not an unsigned decimal"),
    ("1,000.00", "EUR", "not an unsigned decimal"),
    ("", "EUR", "not an unsigned decimal"),
    (".5", "EUR", "not an unsigned decimal"),
    ("5.", "EUR", "not an unsigned decimal"),
    ("１２", "EUR", "not an unsigned decimal"),  # full-width digits are digits to str.isdigit, not to us
    ("1234567890123456789", "VND", "more than 18 digits"),
    ("1.00", "eur", "not an ISO 4217 code"),
    ("1", "XAU", "no minor unit"),
])
def test_refuses_what_is_not_exact(text: str, currency: str, reason: str) -> None:
    with pytest.raises(AmountFormatError, match=reason):
        parse_amount_minor(text, currency)


@pytest.mark.parametrize(("amount_minor", "currency", "text"), [
    (1556827, "EUR", "15568.27"), (-50416, "EUR", "-504.16"), (5, "EUR", "0.05"), (0, "EUR", "0.00"),
    (200000, "VND", "200000"), (-1, "VND", "-1"), (1, "KWD", "0.001"),
])
def test_formats(amount_minor: int, currency: str, text: str) -> None:
    assert format_amount_minor(amount_minor, currency) == text


@given(st.integers(min_value=0, max_value=10**17), st.sampled_from(["VND", "EUR", "KWD", "CLF"]))
def test_format_then_parse_is_identity(amount_minor: int, currency: str) -> None:
    assert parse_amount_minor(format_amount_minor(amount_minor, currency), currency) == amount_minor
