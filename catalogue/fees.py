"""Fee rules and fee splits as values: a tagged union on ``kind`` each, as a data file
writes them. The arithmetic over them is in ``pricing`` and ``splitting``."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from catalogue.model import AgencyCode, AmountMinor, BillerCode, FieldName, PositiveAmountMinor, Value


class Rounding(enum.StrEnum):
    """How a percentage is brought to a whole number of minor units."""

    HALF_UP = "half_up"  # 0.5 goes up: the usual rule for Vietnamese fees
    HALF_EVEN = "half_even"
    DOWN = "down"
    UP = "up"


def _check_percent(name: str, value: Decimal) -> None:
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"{name} must be between 0 and 100")


class _Rule(Value, tag_field="kind", kw_only=True):
    """Base of the fee rules: a tagged union on ``kind``."""


class FixedFee(_Rule, tag="fixed", kw_only=True):
    amount_minor: AmountMinor


class OptionFee(_Rule, tag="by_option", kw_only=True):
    """The payer picks an option (a licence class, a certificate form); each has its amount."""

    field: FieldName
    amounts_minor: dict[Annotated[str, Meta(min_length=1, max_length=100)], AmountMinor]

    def __post_init__(self) -> None:
        if not self.amounts_minor:
            raise ValueError("amounts_minor must name at least one option")


class Bracket(Value, kw_only=True):
    up_to: int | None  # inclusive; None: no upper bound (the last bracket)
    amount_minor: AmountMinor


class BracketFee(_Rule, tag="by_bracket", kw_only=True):
    """A declared quantity or value falls into one bracket, which sets the whole fee."""

    field: FieldName
    brackets: list[Bracket]

    def __post_init__(self) -> None:
        _check_steps([b.up_to for b in self.brackets], "brackets")


class UnitStep(Value, kw_only=True):
    up_to_units: int | None  # inclusive; None: every unit beyond the previous step
    unit_amount_minor: AmountMinor


class PerUnitFee(_Rule, tag="per_unit", kw_only=True):
    """A price per unit that changes by step (2,000 đ a page for two pages, then 1,000 đ
    a page), capped at ``maximum_minor`` if given."""

    field: FieldName
    steps: list[UnitStep]
    maximum_minor: AmountMinor | None = None

    def __post_init__(self) -> None:
        _check_steps([s.up_to_units for s in self.steps], "steps")


def _check_steps(bounds: list[int | None], name: str) -> None:
    if not bounds or bounds[-1] is not None:
        raise ValueError(f"{name} must end with an unbounded one (up_to null)")
    finite = bounds[:-1]
    if None in finite or any(b < 0 for b in finite) or finite != sorted(set(finite)):
        raise ValueError(f"{name}: bounds must be non-negative and strictly increasing")


class PercentageFee(_Rule, tag="percentage", kw_only=True):
    """A percentage of a declared value, rounded by ``rounding`` to a whole minor unit,
    then held within ``minimum_minor`` and ``maximum_minor``."""

    field: FieldName
    rate_percent: Decimal
    minimum_minor: AmountMinor = 0
    maximum_minor: AmountMinor | None = None
    rounding: Rounding = Rounding.HALF_UP

    def __post_init__(self) -> None:
        _check_percent("rate_percent", self.rate_percent)
        if self.maximum_minor is not None and self.maximum_minor < self.minimum_minor:
            raise ValueError("maximum_minor is below minimum_minor")


class HouseholdPremiumFee(_Rule, tag="household_premium", kw_only=True):
    """Household health insurance: the first member pays ``rate_percent`` of the base
    salary in force per month; the n-th member pays ``member_percents[n-1]`` of the first
    member's amount, the last entry applying to every member beyond the list. The
    household (how many members) comes from ``registry``, looked up by ``lookup_field``."""

    registry: BillerCode
    lookup_field: FieldName
    months_field: FieldName
    # The law's numbers (Luật BHYT; Nghị định 146/2018/NĐ-CP, Điều 7) as defaults.
    months_allowed: list[Annotated[int, Meta(ge=1, le=60)]] = msgspec.field(default_factory=lambda: [3, 6, 12])
    rate_percent: Decimal = Decimal("4.5")
    member_percents: list[Decimal] = msgspec.field(default_factory=lambda: [Decimal(p) for p in (100, 70, 60, 50, 40)])

    def __post_init__(self) -> None:
        _check_percent("rate_percent", self.rate_percent)
        if not self.member_percents or not self.months_allowed:
            raise ValueError("member_percents and months_allowed must not be empty")
        for value in self.member_percents:
            _check_percent("member_percents", value)


class FineFee(_Rule, tag="fine", kw_only=True):
    """The amount is the penalty decision's, found at ``biller`` by the first of
    ``lookup_fields`` the payer gave; it must lie within its violation code's legal range."""

    biller: BillerCode
    lookup_fields: list[FieldName]

    def __post_init__(self) -> None:
        if not self.lookup_fields:
            raise ValueError("lookup_fields must name at least one field")


class BillFee(_Rule, tag="bill", kw_only=True):
    """The amount is what ``biller`` says is outstanding for the value of ``lookup_field``:
    every outstanding bill, or, when the payer gives the optional ``bill_field``, the one
    outstanding bill with that reference alone."""

    biller: BillerCode
    lookup_field: FieldName
    bill_field: FieldName | None = None

    def __post_init__(self) -> None:
        if self.bill_field == self.lookup_field:
            raise ValueError("bill_field must be another field than lookup_field")


FeeRule = FixedFee | OptionFee | BracketFee | PerUnitFee | PercentageFee | HouseholdPremiumFee | FineFee | BillFee


# ---------------------------------------------------------------- fee splits

class _Share(Value, tag_field="kind", kw_only=True):
    """Base of a split's shares: a tagged union on ``kind``."""


class BasisPointsShare(_Share, tag="basis_points", kw_only=True):
    party: AgencyCode
    basis_points: Annotated[int, Meta(ge=1, le=10_000)]


class FixedShare(_Share, tag="fixed", kw_only=True):
    party: AgencyCode
    amount_minor: PositiveAmountMinor


Share = BasisPointsShare | FixedShare


class FeeSplit(Value, kw_only=True):
    """Fixed amounts are taken first; basis-point shares are of what remains after them,
    rounded down; whatever is left (rounding and unallocated basis points) goes to
    ``remainder_to``, so that the parts sum to the total exactly."""

    shares: Annotated[list[Share], Meta(min_length=1)]
    remainder_to: AgencyCode

    def __post_init__(self) -> None:
        parties = [share.party for share in self.shares]
        if len(set(parties)) != len(parties):
            raise ValueError("a party may hold one share only")
        if sum(s.basis_points for s in self.shares if isinstance(s, BasisPointsShare)) > 10_000:
            raise ValueError("basis points add up to more than 10000")

    @property
    def parties(self) -> set[str]:
        return {share.party for share in self.shares} | {self.remainder_to}

    @property
    def fixed_minor(self) -> int:
        """What the fixed shares take before the basis points are applied."""
        return sum(share.amount_minor for share in self.shares if isinstance(share, FixedShare))
