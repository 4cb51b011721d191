"""Fee rules as pure functions: the same rule and facts give the same lines, never negative.

Percentages are computed exactly (a Decimal rate is a fraction; amounts are integers of
minor units) and rounded once, to a whole minor unit of the currency (one đồng for VND),
by the rule's stated rounding: ``half_up`` unless the rule says otherwise, so 0.5 đồng
becomes 1. The household premium rounds each member's amount half up.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction

import msgspec

from catalogue.errors import InvalidInput
from catalogue.fees import (
    BillFee,
    BracketFee,
    FeeRule,
    FineFee,
    FixedFee,
    HouseholdPremiumFee,
    OptionFee,
    PercentageFee,
    PerUnitFee,
    Rounding,
)
from catalogue.model import Bill, QuoteLine, Violation


class Facts(msgspec.Struct, frozen=True, kw_only=True):
    """What a rule needs besides itself, gathered by the store from the database and the
    billers: the payer's validated inputs and whatever the rule's kind looks up."""

    currency: str
    inputs: Mapping[str, str | int | date]
    base_salary_minor: int | None = None
    household_members: int | None = None
    bills: list[Bill] = []
    lookup_field: str | None = None  # the field the bills were found by, for error messages
    violations: Mapping[str, Violation] = {}


def price(rule: FeeRule, facts: Facts) -> list[QuoteLine]:
    """The lines that make up what ``rule`` charges; their sum is the total."""
    inputs = facts.inputs
    match rule:
        case FixedFee():
            return [_line("fee", rule.amount_minor)]
        case OptionFee(field=name):
            return [_line(f"{name} {inputs[name]}", rule.amounts_minor[inputs[name]])]
        case BracketFee(field=name):
            return [_line(f"{name} {inputs[name]:,}", bracket_fee(rule, inputs[name]))]
        case PerUnitFee(field=name):
            return [_line(f"{name} {inputs[name]:,}", per_unit_fee(rule, inputs[name]))]
        case PercentageFee(field=name):
            return [_line(f"{rule.rate_percent}% of {name} {inputs[name]:,}", percentage_fee(rule, inputs[name]))]
        case HouseholdPremiumFee(months_field=months):
            assert facts.base_salary_minor is not None and facts.household_members is not None
            amounts = household_premium(rule, facts.base_salary_minor, facts.household_members, inputs[months])
            return [_line(f"member {n} of {len(amounts)}, {inputs[months]} months", amount)
                    for n, amount in enumerate(amounts, start=1)]
        case FineFee():
            return [_line(bill.description, fine_amount(bill, facts)) for bill in facts.bills]
        case BillFee():
            return [_line(bill.description, bill_amount(bill, facts)) for bill in facts.bills]


def _line(description: str, amount_minor: int) -> QuoteLine:
    assert amount_minor >= 0
    return QuoteLine(description=description, amount_minor=amount_minor)


def round_fraction(value: Fraction, rounding: Rounding) -> int:
    """``value`` (not negative) as a whole number of minor units, by ``rounding``."""
    assert value >= 0
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0:
        return whole
    twice_rest = 2 * rest
    match rounding:
        case Rounding.DOWN:
            return whole
        case Rounding.UP:
            return whole + 1
        case Rounding.HALF_UP:
            return whole + (twice_rest >= value.denominator)
        case Rounding.HALF_EVEN:
            if twice_rest == value.denominator:
                return whole + whole % 2
            return whole + (twice_rest > value.denominator)


def percent_of(amount_minor: int, percent: Decimal) -> Fraction:
    return Fraction(amount_minor) * Fraction(percent) / 100


def percentage_fee(rule: PercentageFee, value_minor: int) -> int:
    amount = round_fraction(percent_of(value_minor, rule.rate_percent), rule.rounding)
    amount = max(amount, rule.minimum_minor)
    return amount if rule.maximum_minor is None else min(amount, rule.maximum_minor)


def bracket_fee(rule: BracketFee, value: int) -> int:
    return next(b.amount_minor for b in rule.brackets if b.up_to is None or value <= b.up_to)


def per_unit_fee(rule: PerUnitFee, units: int) -> int:
    total, counted = 0, 0
    for step in rule.steps:
        in_step = units - counted if step.up_to_units is None else max(0, min(units, step.up_to_units) - counted)
        total += in_step * step.unit_amount_minor
        counted += in_step
    return total if rule.maximum_minor is None else min(total, rule.maximum_minor)


def household_premium(rule: HouseholdPremiumFee, base_salary_minor: int, members: int, months: int) -> list[int]:
    """Each member's premium for ``months``, first member first."""
    if months not in rule.months_allowed:
        allowed = ", ".join(map(str, rule.months_allowed))
        raise InvalidInput(rule.months_field, "not_allowed", f"must be one of {allowed} months, not {months}")
    assert members >= 1
    first = round_fraction(percent_of(base_salary_minor, rule.rate_percent) * months, Rounding.HALF_UP)
    last = len(rule.member_percents) - 1
    return [round_fraction(percent_of(first, rule.member_percents[min(n, last)]), Rounding.HALF_UP)
            for n in range(members)]


def fine_amount(decision: Bill, facts: Facts) -> int:
    """The decision's amount, after checking it against its violation code's legal range."""
    field = facts.lookup_field or "decision_number"
    violation = facts.violations.get(decision.violation_code or "")
    if violation is None:
        raise InvalidInput(field, "unknown_violation_code",
                           f"decision {decision.reference} names violation code {decision.violation_code!r}, "
                           "which the catalogue does not know")
    amount = bill_amount(decision, facts)
    if not violation.minimum_minor <= amount <= violation.maximum_minor:
        raise InvalidInput(field, "amount_outside_legal_range",
                           f"decision {decision.reference} fines {amount:,} {decision.currency}, outside the legal range "
                           f"{violation.minimum_minor:,}–{violation.maximum_minor:,} of violation {violation.code}")
    return amount


def bills_to_pay(outstanding: list[Bill], reference: str | None, field: str) -> list[Bill]:
    """The bills a payment settles: all ``outstanding`` ones, or the one whose reference the
    payer gave in ``field``, which must be among them."""
    if reference is None:
        return outstanding
    chosen = [bill for bill in outstanding if bill.reference == reference]
    if not chosen:
        raise InvalidInput(field, "bill_not_outstanding",
                           f"{reference} is not one of the outstanding bills: "
                           f"{', '.join(bill.reference for bill in outstanding)}")
    return chosen


def bill_amount(bill: Bill, facts: Facts) -> int:
    if bill.currency != facts.currency:
        raise InvalidInput(facts.lookup_field or "currency", "wrong_currency",
                           f"{bill.reference} is in {bill.currency}; the service is paid in {facts.currency}")
    assert bill.amount_minor > 0
    return bill.amount_minor
