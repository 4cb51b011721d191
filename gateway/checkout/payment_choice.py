"""Which ways to pay a page offers for a payment, and what the citizen picked.

The providers are those the service allows (the intent's payment_method_types) that this
gateway has an adapter for. A card is collected by the acquirer's own hosted fields in
live mode, which this page does not embed yet, so cards are offered in sandbox mode only,
with the acquirer's test cards (one that pays, one that is declined)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from gateway.provider_setup import Providers

CARD = "card"
TEST_CARDS = ("pm_card_visa", "pm_card_chargeDeclined")
PROVIDER_ORDER = ("vietqr", "vnpay", "momo", CARD)  # the cheapest for the agency first


class PaymentChoice(NamedTuple):
    provider: str
    payment_method: str | None = None  # a card's PaymentMethod


def payment_choices(allowed: Sequence[str], providers: Providers, *, sandbox: bool) -> list[str]:
    return [code for code in PROVIDER_ORDER
            if code in allowed and code in providers.adapters and (code != CARD or sandbox)]


def read_choice(method: str, test_card: str, choices: Sequence[str]) -> PaymentChoice | None:
    if method not in choices:
        return None
    if method == CARD:
        return PaymentChoice(CARD, test_card if test_card in TEST_CARDS else TEST_CARDS[0])
    return PaymentChoice(method)
