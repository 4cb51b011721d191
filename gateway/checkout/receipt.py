"""The electronic receipt of a succeeded payment, and its verification code.

The receipt number is the PaymentIntent's id. The verification code is a MAC of the
receipt's number, amount and time under the web key: printed on the receipt, it lets
anyone confirm at /receipts/check that the gateway issued this receipt for this amount,
without the gateway storing anything more. Ten Crockford base-32 characters (50 bits):
easy to type, impractical to guess within the look-up limit."""

from __future__ import annotations

import base64
from datetime import datetime

import msgspec

from gateway.web.amount_in_words import amount_in_words
from gateway.web.signed_values import mac

CODE_LENGTH = 10
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    number: str
    payer: str | None
    service_code: str | None
    service_name_vi: str
    service_name_en: str
    agency_code: str
    agency_name_vi: str
    agency_name_en: str
    reference: str | None
    amount_minor: int
    currency: str
    provider: str
    provider_ref: str | None
    paid_at: datetime
    verification_code: str

    @property
    def amount_words(self) -> str:
        return amount_in_words(self.amount_minor)


def verification_code(key: bytes, number: str, amount_minor: int, paid_at: datetime) -> str:
    signed = mac(key, "receipt", f"{number}|{amount_minor}|{paid_at.timestamp():.6f}")
    raw = base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4))
    return base64.b32encode(raw).decode().translate(_CROCKFORD)[:CODE_LENGTH]


def normalise_code(text: str) -> str:
    """What a person types, as Crockford reads it: case, spaces and hyphens ignored; O is 0,
    I and L are 1."""
    return "".join(text.split()).replace("-", "").upper().translate(str.maketrans("OIL", "011"))
