"""Exact conversion between decimal amount strings and integer minor units.

Bank files write ``15568.27``; the ledger counts cents. The conversion is done on the
digits, never through ``float``, and refuses what it cannot convert exactly: more decimal
places than the currency has (``100.5`` VND is not an amount of đồng, and rounding it
would silently create or destroy money), signs where the format has none, and numbers
too long to be an ISO 20022 amount (18 digits, which also keeps every value inside a
PostgreSQL ``bigint``).
"""

from __future__ import annotations

import re

from reconciliation.errors import AmountFormatError

# ISO 4217 currencies whose minor unit is not the hundredth. Every other active code has
# exponent 2; this is the same rule as the ledger's ``ledger.currencies`` table, which
# lists only the currencies the portal books.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
         "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
# Precious metals, SDR, testing and "no currency" codes have no minor unit at all: an
# amount in them cannot be expressed in minor units.
_NO_MINOR_UNIT = frozenset(
    ("XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"))

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_DECIMAL = re.compile(r"(?P<units>[0-9]+)(?:\.(?P<fraction>[0-9]+))?")
MAX_TOTAL_DIGITS = 18  # ISO 20022 ActiveOrHistoricCurrencyAndAmount: totalDigits 18


def currency_exponent(currency: str) -> int:
    """The number of decimal places of ``currency`` (ISO 4217 minor unit)."""
    if not _CURRENCY_CODE.fullmatch(currency):
        raise AmountFormatError(f"currency {currency!r} is not an ISO 4217 code (three capital letters)")
    if currency in _NO_MINOR_UNIT:
        raise AmountFormatError(f"currency {currency} has no minor unit")
    return _EXPONENT_EXCEPTIONS.get(currency, 2)


def parse_amount_minor(text: str, currency: str) -> int:
    """``"15568.27", "EUR"`` → ``1556827``; ``"200000", "VND"`` → ``200000``.

    Surrounding whitespace is ignored (XML Schema collapses it for decimals); a sign,
    exponent notation, thousands separators, or more decimals than the currency has
    are refused with :class:`AmountFormatError`.
    """
    exponent = currency_exponent(currency)
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise AmountFormatError(f"amount {text!r} is not an unsigned decimal number")
    units, fraction = match["units"], match["fraction"] or ""
    if len(units) + len(fraction) > MAX_TOTAL_DIGITS:
        raise AmountFormatError(f"amount {text!r} has more than {MAX_TOTAL_DIGITS} digits")
    if len(fraction) > exponent:
        raise AmountFormatError(
            f"amount {text!r} has {len(fraction)} decimal places but {currency} allows {exponent}")
    return int(units + fraction.ljust(exponent, "0"))


def format_amount_minor(amount_minor: int, currency: str) -> str:
    """The inverse of :func:`parse_amount_minor`, with a ``-`` for negative amounts.

    ``1556827, "EUR"`` → ``"15568.27"``; ``-50416, "EUR"`` → ``"-504.16"``.
    """
    exponent = currency_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    digits = str(abs(amount_minor)).rjust(exponent + 1, "0")
    if exponent == 0:
        return sign + digits
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"
