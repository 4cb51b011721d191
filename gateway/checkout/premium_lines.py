"""The household premium explained line by line, beside the catalogue's amounts: the first
member pays the rate of the base salary per month, each further member a share of the
first member's amount (catalogue.pricing.household_premium computes; this says how)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from catalogue.fees import HouseholdPremiumFee


class PremiumLine(NamedTuple):
    member: int  # 1 for the first member
    percent: Decimal  # of the base salary for the first member, of the first member's amount after
    amount_minor: int


def premium_lines(fee: HouseholdPremiumFee, base_salary_minor: int, amounts_minor: list[int]) -> list[PremiumLine]:
    assert amounts_minor and base_salary_minor > 0
    last = len(fee.member_percents) - 1
    return [PremiumLine(member=n + 1, percent=fee.rate_percent if n == 0 else fee.member_percents[min(n, last)],
                        amount_minor=amount) for n, amount in enumerate(amounts_minor)]
