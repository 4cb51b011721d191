"""Each fee rule as a pure function: worked examples with the law's numbers, then hypothesis
properties (never negative, deterministic, and what each rule promises)."""

from decimal import Decimal
from fractions import Fraction

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    bracket_fees,
    fee_amounts,
    fee_roundings,
    fixed_fees,
    household_premium_fees,
    option_fees,
    outstanding_bills,
    per_unit_fees,
    percentage_fees,
    violations,
)

from catalogue.errors import InvalidInput
from catalogue.fees import (
    BillFee,
    Bracket,
    BracketFee,
    FeeRule,
    FineFee,
    HouseholdPremiumFee,
    PercentageFee,
    PerUnitFee,
    Rounding,
    UnitStep,
)
from catalogue.model import Bill
from catalogue.pricing import (
    Facts,
    bills_to_pay,
    bracket_fee,
    fine_amount,
    household_premium,
    per_unit_fee,
    percentage_fee,
    price,
    round_fraction,
)

HOUSEHOLD = HouseholdPremiumFee(registry="bhxh", lookup_field="social_insurance_number", months_field="months")


def total(rule: FeeRule, **facts) -> int:
    return sum(line.amount_minor for line in price(rule, Facts(currency="VND", **facts)))


# ---------------------------------------------------------------- worked examples

def test_a_household_of_five_for_twelve_months_at_the_2024_base_salary():
    members = household_premium(HOUSEHOLD, 2_340_000, members=5, months=12)
    assert members == [1_263_600, 884_520, 758_160, 631_800, 505_440]
    assert sum(members) == 4_043_520


@pytest.mark.parametrize("base_salary, first_month", [(1_490_000, 67_050), (1_800_000, 81_000), (2_340_000, 105_300)])
def test_the_first_member_pays_four_and_a_half_percent_of_each_base_salary(base_salary, first_month):
    assert household_premium(HOUSEHOLD, base_salary, members=1, months=3) == [3 * first_month]


def test_the_sixth_and_seventh_members_pay_forty_percent_like_the_fifth():
    members = household_premium(HOUSEHOLD, 1_800_000, members=7, months=6)
    assert members == [486_000, 340_200, 291_600, 243_000, 194_400, 194_400, 194_400]


def test_months_outside_the_law_are_refused_naming_the_field():
    with pytest.raises(InvalidInput) as refused:
        household_premium(HOUSEHOLD, 2_340_000, members=2, months=5)
    assert (refused.value.field, refused.value.code) == ("months", "not_allowed")
    assert "3, 6, 12" in str(refused.value)


def test_rounding_rules_at_exactly_half_a_dong():
    half = Fraction(5, 2)  # 2.5 đồng
    assert [round_fraction(half, r) for r in Rounding] == [3, 2, 2, 3]  # half_up, half_even, down, up
    assert round_fraction(Fraction(7, 2), Rounding.HALF_EVEN) == 4
    assert round_fraction(Fraction(249, 100), Rounding.HALF_UP) == 2
    assert round_fraction(Fraction(251, 100), Rounding.DOWN) == 2


def test_a_percentage_rounds_half_up_to_the_dong_then_keeps_within_its_bounds():
    rule = PercentageFee(field="value", rate_percent=Decimal("0.15"), minimum_minor=10_000, maximum_minor=500_000)
    assert percentage_fee(rule, 10_000_300) == 15_000  # 15,000.45 → 15,000
    assert percentage_fee(rule, 10_001_000) == 15_002  # 15,001.5 → 15,002: half goes up
    assert percentage_fee(rule, 1_000) == 10_000  # 1.5 → the minimum
    assert percentage_fee(rule, 10**10) == 500_000  # 15,000,000 → the maximum


def test_voluntary_social_insurance_is_twenty_two_percent_of_declared_income():
    rule = PercentageFee(field="declared_income", rate_percent=Decimal(22), minimum_minor=330_000, maximum_minor=10_296_000)
    assert percentage_fee(rule, 1_500_000) == 330_000
    assert percentage_fee(rule, 5_000_000) == 1_100_000


def test_copy_certification_is_2000_a_page_for_two_pages_then_1000_up_to_200000():
    rule = PerUnitFee(field="pages", maximum_minor=200_000,
                      steps=[UnitStep(up_to_units=2, unit_amount_minor=2_000), UnitStep(up_to_units=None, unit_amount_minor=1_000)])
    assert [per_unit_fee(rule, pages) for pages in (1, 2, 3, 10, 196, 197, 1_000)] == [
        2_000, 4_000, 5_000, 12_000, 198_000, 199_000, 200_000]


def test_a_bracket_includes_its_upper_bound():
    rule = BracketFee(field="value", brackets=[Bracket(up_to=100_000_000, amount_minor=1_000_000),
                                               Bracket(up_to=None, amount_minor=3_000_000)])
    assert [bracket_fee(rule, v) for v in (0, 100_000_000, 100_000_001)] == [1_000_000, 1_000_000, 3_000_000]


def decision(amount: int, violation_code: str | None = "ND1-D1-K1-A", currency: str = "VND") -> Bill:
    return Bill(biller="csgt", reference="1/QĐ-XPVPHC", subject="30A12345", description="fine", amount_minor=amount,
                currency=currency, violation_code=violation_code, status="unpaid")


def fine_facts(violation, *bills: Bill) -> Facts:
    return Facts(currency="VND", inputs={}, bills=list(bills), lookup_field="decision_number",
                 violations={violation.code: violation})


@given(violations(), st.integers(min_value=1, max_value=10**13))
def test_a_fine_is_its_decisions_amount_only_within_the_legal_range(violation, amount):
    facts = fine_facts(violation, decision(amount))
    if violation.minimum_minor <= amount <= violation.maximum_minor:
        assert fine_amount(decision(amount), facts) == amount
    else:
        with pytest.raises(InvalidInput) as refused:
            fine_amount(decision(amount), facts)
        assert (refused.value.field, refused.value.code) == ("decision_number", "amount_outside_legal_range")


@given(violations())
def test_a_fine_with_an_unknown_violation_code_or_currency_is_refused(violation):
    facts = fine_facts(violation)
    with pytest.raises(InvalidInput) as unknown:
        fine_amount(decision(violation.minimum_minor, violation_code="ND9-D9-K9-Z"), facts)
    assert unknown.value.code == "unknown_violation_code"
    with pytest.raises(InvalidInput) as wrong:
        fine_amount(decision(violation.minimum_minor, currency="USD"), facts)
    assert wrong.value.code == "wrong_currency"


# ---------------------------------------------------------------- properties

def round_trips(rule: FeeRule) -> FeeRule:
    """The rule as a data file would carry it, read back."""
    return msgspec.json.decode(msgspec.json.encode(rule), type=FeeRule)


@given(fixed_fees)
def test_fixed(rule):
    assert total(rule, inputs={}) == rule.amount_minor == total(round_trips(rule), inputs={})


@given(option_fees, st.data())
def test_by_option_charges_the_options_amount(rule, data):
    option = data.draw(st.sampled_from(sorted(rule.amounts_minor)))
    assert total(rule, inputs={"option": option}) == rule.amounts_minor[option] >= 0
    assert total(round_trips(rule), inputs={"option": option}) == rule.amounts_minor[option]


@given(bracket_fees(), fee_amounts, fee_amounts)
def test_by_bracket_charges_the_first_bracket_reaching_the_value(rule, value, other):
    amount = bracket_fee(rule, value)
    assert amount >= 0 and amount == bracket_fee(round_trips(rule), value)
    reached = [b for b in rule.brackets if b.up_to is None or value <= b.up_to][0]
    assert amount == reached.amount_minor
    if reached is [b for b in rule.brackets if b.up_to is None or other <= b.up_to][0]:
        assert bracket_fee(rule, other) == amount  # one bracket, one amount


@given(per_unit_fees(), st.integers(0, 10**6), st.integers(0, 10**6))
def test_per_unit_is_monotone_and_capped(rule, units, more):
    amount = per_unit_fee(rule, units)
    assert 0 <= amount == per_unit_fee(round_trips(rule), units)
    assert per_unit_fee(rule, units + more) >= amount
    if rule.maximum_minor is not None:
        assert amount <= rule.maximum_minor
    elif len(rule.steps) == 1:
        assert amount == units * rule.steps[0].unit_amount_minor


@given(percentage_fees(), fee_amounts, fee_amounts)
def test_percentage_is_within_a_dong_of_exact_then_within_bounds_and_monotone(rule, value, more):
    amount = percentage_fee(rule, value)
    assert amount >= 0 and amount == percentage_fee(round_trips(rule), value)
    exact = Fraction(value) * Fraction(rule.rate_percent) / 100
    rounded = round_fraction(exact, rule.rounding)
    assert abs(rounded - exact) < 1
    if rule.rounding is Rounding.HALF_UP:  # the nearest đồng, a half going up
        assert exact - Fraction(1, 2) < rounded <= exact + Fraction(1, 2)
    assert rule.minimum_minor <= amount or (rule.maximum_minor is not None and amount == rule.maximum_minor)
    assert rule.maximum_minor is None or amount <= rule.maximum_minor
    assert percentage_fee(rule, value + more) >= amount


@given(st.fractions(min_value=0, max_value=10**9), fee_roundings)
def test_rounding_lands_on_a_neighbouring_whole_dong(value, rounding):
    rounded = round_fraction(value, rounding)
    assert value - 1 < rounded < value + 1
    assert rounded == round_fraction(value, rounding)


@given(household_premium_fees(), st.integers(1, 10**8), st.integers(1, 12), st.data())
def test_household_premium_follows_the_member_ratios(rule, base_salary, members, data):
    months = data.draw(st.sampled_from(rule.months_allowed))
    amounts = household_premium(rule, base_salary, members, months)
    assert len(amounts) == members and all(a >= 0 for a in amounts)
    assert amounts == household_premium(round_trips(rule), base_salary, members, months)
    first = round_fraction(Fraction(base_salary) * Fraction(rule.rate_percent) / 100 * months, Rounding.HALF_UP)
    for n, amount in enumerate(amounts):
        percent = rule.member_percents[min(n, len(rule.member_percents) - 1)]
        assert abs(amount - Fraction(first) * Fraction(percent) / 100) <= Fraction(1, 2)
    assert total(rule, inputs={"months": months}, base_salary_minor=base_salary, household_members=members) == sum(amounts)


@given(violations())
def test_fine_lines_sum_every_decision_found(violation):
    found = [decision(violation.minimum_minor), decision(violation.maximum_minor)]
    rule = FineFee(biller="csgt", lookup_fields=["decision_number"])
    assert total(rule, inputs={}, bills=found, lookup_field="decision_number",
                 violations={violation.code: violation}) == violation.minimum_minor + violation.maximum_minor


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=6))
def test_a_bill_charges_exactly_what_the_biller_says_is_outstanding(amounts):
    bills = [msgspec.structs.replace(decision(amount), biller="evn", violation_code=None) for amount in amounts]
    rule = BillFee(biller="evn", lookup_field="customer_code")
    lines = price(rule, Facts(currency="VND", inputs={}, bills=bills, lookup_field="customer_code"))
    assert [line.amount_minor for line in lines] == amounts
    with pytest.raises(InvalidInput) as wrong:
        price(rule, Facts(currency="VND", inputs={}, bills=[msgspec.structs.replace(bills[0], currency="USD")],
                          lookup_field="customer_code"))
    assert (wrong.value.field, wrong.value.code) == ("customer_code", "wrong_currency")



ONE_BILL = BillFee(biller="evn", lookup_field="customer_code", bill_field="bill_reference")


def bill_facts(bills: list[Bill]) -> Facts:
    return Facts(currency="VND", inputs={}, bills=bills, lookup_field="customer_code")


@given(outstanding_bills(), st.data())
def test_the_quote_for_one_bill_is_that_bills_amount_and_the_others_stay_outstanding(bills, data):
    chosen = data.draw(st.sampled_from(bills))
    paid = bills_to_pay(bills, chosen.reference, "bill_reference")
    assert paid == [chosen]
    assert total(ONE_BILL, inputs={}, bills=paid, lookup_field="customer_code") == chosen.amount_minor
    left = [bill for bill in bills if bill not in paid]
    assert len(left) == len(bills) - 1 and chosen not in left


@given(outstanding_bills())
def test_without_a_bill_reference_every_outstanding_bill_is_paid(bills):
    assert bills_to_pay(bills, None, "bill_reference") == bills
    assert sum(line.amount_minor for line in price(ONE_BILL, bill_facts(bills))) == sum(b.amount_minor for b in bills)


@given(outstanding_bills(), st.data())
def test_a_bill_that_is_not_outstanding_is_refused_naming_the_field(bills, data):
    paid_already = data.draw(st.sampled_from(bills))  # or another customer's, or a typo
    reference = data.draw(st.just(paid_already.reference) | st.text(max_size=30))
    outstanding = [bill for bill in bills if bill.reference != reference]
    with pytest.raises(InvalidInput) as refused:
        bills_to_pay(outstanding, reference, "bill_reference")
    assert (refused.value.field, refused.value.code) == ("bill_reference", "bill_not_outstanding")
