"""What a data file defines: services (what they ask of a payer, what they charge, who
receives it) and the file itself. Each Struct checks what it can alone; references between
them (a service's agency exists) are checked by ``catalogue.loading``."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from catalogue.fees import (
    BillFee,
    BracketFee,
    FeeRule,
    FeeSplit,
    FineFee,
    FixedFee,
    HouseholdPremiumFee,
    OptionFee,
    PercentageFee,
    PerUnitFee,
)
from catalogue.model import (
    CURRENCY,
    Agency,
    AgencyCode,
    BaseSalary,
    FieldKind,
    Name,
    PayerField,
    Provider,
    ServiceCode,
    Value,
    Violation,
)


def fields_named_by(rule: FeeRule) -> dict[str, tuple[FieldKind, ...]]:
    """The payer fields a rule reads, with the kinds each may have."""
    numeric = (FieldKind.INTEGER, FieldKind.AMOUNT)
    match rule:
        case FixedFee():
            return {}
        case OptionFee(field=name):
            return {name: (FieldKind.CHOICE,)}
        case BracketFee(field=name) | PerUnitFee(field=name) | PercentageFee(field=name):
            return {name: numeric}
        case HouseholdPremiumFee():
            return {rule.lookup_field: (FieldKind.TEXT,), rule.months_field: (FieldKind.INTEGER,)}
        case FineFee():
            return {name: (FieldKind.TEXT,) for name in rule.lookup_fields}
        case BillFee(bill_field=None):
            return {rule.lookup_field: (FieldKind.TEXT,)}
        case BillFee(bill_field=bill):
            return {rule.lookup_field: (FieldKind.TEXT,), bill: (FieldKind.TEXT,)}


def optional_fields_of(rule: FeeRule) -> set[str]:
    """The fields a rule reads that the payer may leave out: each of a fine's alternative
    look-ups (decision or plate number), and the one bill of a bill rule (without it, all)."""
    match rule:
        case FineFee(lookup_fields=fields) if len(fields) > 1:
            return set(fields)
        case BillFee(bill_field=str(bill)):
            return {bill}
    return set()


class Service(Value, kw_only=True):
    code: ServiceCode
    agency_code: AgencyCode
    name_vi: Name
    name_en: Name
    online_level: Literal[3, 4]  # the portal's levels: 4 means fully online, payment included
    currency: Literal["VND"] = CURRENCY
    fields: list[PayerField] = []
    fee: FeeRule
    split: FeeSplit | None = None
    providers: Annotated[list[Provider], Meta(min_length=1)]
    active: bool = True
    legal_basis: Annotated[str, Meta(max_length=500)] | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"service {self.code}: field names must be unique")
        if len(set(self.providers)) != len(self.providers):
            raise ValueError(f"service {self.code}: providers must be unique")
        by_name = {f.name: f for f in self.fields}
        optional = optional_fields_of(self.fee)
        for name, kinds in fields_named_by(self.fee).items():
            field = by_name.get(name)
            if field is None or field.kind not in kinds:
                wanted = " or ".join(kinds)
                raise ValueError(f"service {self.code}: its fee reads field {name!r}, which must be a {wanted} field")
            if field.required == (name in optional):
                wanted = "optional" if name in optional else "required"
                raise ValueError(f"service {self.code}: field {name!r}, read by its fee, must be {wanted}")
        if isinstance(self.fee, OptionFee) and set(by_name[self.fee.field].choices) != set(self.fee.amounts_minor):
            raise ValueError(f"service {self.code}: every choice of {self.fee.field!r} needs an amount, and only those")
        if isinstance(self.fee, FixedFee) and self.split and self.split.fixed_minor > self.fee.amount_minor:
            raise ValueError(f"service {self.code}: its split's fixed shares exceed its fee")

    @property
    def is_free(self) -> bool:
        return self.fee == FixedFee(amount_minor=0)


class CatalogueFile(Value, kw_only=True):
    """A versioned data file: what ``publicpay catalogue load`` reads."""

    version: Annotated[int, Meta(ge=1)]
    notes: str = ""  # for the file's maintainers: sources, what is illustrative
    agencies: list[Agency] = []
    services: list[Service] = []
    base_salaries: list[BaseSalary] = []
    violations: list[Violation] = []
