"""The household premium explained line by line agrees with the catalogue's arithmetic."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from catalogue.fees import HouseholdPremiumFee
from catalogue.pricing import household_premium
from gateway.checkout.premium_lines import premium_lines

FEE = HouseholdPremiumFee(registry="bhxh", lookup_field="social_insurance_number", months_field="months")


@given(st.integers(1, 9), st.sampled_from([3, 6, 12]), st.integers(1_000_000, 5_000_000))
def test_each_member_line_says_its_share(members: int, months: int, base_salary_minor: int) -> None:
    amounts = household_premium(FEE, base_salary_minor, members, months)
    lines = premium_lines(FEE, base_salary_minor, amounts)
    assert [line.amount_minor for line in lines] == amounts
    assert [line.member for line in lines] == list(range(1, members + 1))
    expected = [Decimal("4.5"), *[Decimal(p) for p in (70, 60, 50)], *[Decimal(40)] * 5][:members]
    assert [line.percent for line in lines] == expected
