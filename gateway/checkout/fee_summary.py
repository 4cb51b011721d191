"""A fee rule in a few facts a page can word in either language: its kind and the amounts
a citizen can know before starting."""

from __future__ import annotations

from typing import NamedTuple

from catalogue.fees import FeeRule, FixedFee, OptionFee, PercentageFee


class FeeSummary(NamedTuple):
    kind: str  # the rule's tag: fixed, by_option, percentage, household_premium, fine, bill, …
    amount_minor: int | None = None  # fixed fees
    options: tuple[tuple[str, int], ...] = ()  # by_option: (option, amount)
    rate_percent: str | None = None  # percentage


def summarise_fee(rule: FeeRule) -> FeeSummary:
    kind = type(rule).__struct_config__.tag
    match rule:
        case FixedFee(amount_minor=amount):
            return FeeSummary(kind, amount_minor=amount)
        case OptionFee(amounts_minor=amounts):
            return FeeSummary(kind, options=tuple(amounts.items()))
        case PercentageFee(rate_percent=rate):
            return FeeSummary(kind, rate_percent=str(rate))
    return FeeSummary(kind)
