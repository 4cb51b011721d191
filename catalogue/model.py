"""The catalogue's values: agencies, the fields a payer gives, the law's numbers, billers'
bills, the quote that pricing returns, and dossiers. Services are in ``definitions``, fee
rules and splits in ``fees``.

Every Struct is immutable and checks its own invariants in ``__post_init__``, so that a
data file is refused with msgspec's path to the fault (``... - at `$.services[3].fee```).
Invariants that need more than one Struct (an agency named by a service exists) are
checked where loading sees the whole file (``catalogue.loading``).
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from ledger.model import MAX_AMOUNT_MINOR

# The portal collects in đồng only: each agency has one payable and one treasury account,
# both in VND, so a service priced in another currency could not be booked.
CURRENCY = "VND"

AgencyCode = Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9]{1,15}$")]
ServiceCode = Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,5}$", max_length=60)]
ViolationCode = Annotated[str, Meta(pattern=r"^[A-Z0-9]+(-[A-Z0-9]+){1,6}$", max_length=60)]
FieldName = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
BillerCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{1,19}$")]
Name = Annotated[str, Meta(min_length=1, max_length=300)]
AmountMinor = Annotated[int, Meta(ge=0, le=MAX_AMOUNT_MINOR)]
PositiveAmountMinor = Annotated[int, Meta(ge=1, le=MAX_AMOUNT_MINOR)]
Provider = Literal["vnpay", "momo", "vietqr", "card"]

# The one field every dossier-based service may name without the applicant typing it: the
# procedures module fills it with the dossier's own code.
DOSSIER_NUMBER_FIELD = "dossier_number"


TEST_MODE_PREFIX = "test:"


def ledger_agency(agency_code: str, *, livemode: bool) -> str:
    """The agency as the ledger's account codes name it: ``MOJ`` for live money, ``test:MOJ``
    for test-mode money, so that test payments never add to what the agency is owed.
    Reconciliation reads the agency back out of ``agency:<A>:payable`` whole, so it keeps
    test money apart too (its settled totals, its remittances to ``treasury:test:<A>``)."""
    return agency_code if livemode else TEST_MODE_PREFIX + agency_code


def payable_account(agency_code: str, *, livemode: bool) -> str:
    """The ledger account holding what was collected for an agency and not yet remitted."""
    return f"agency:{ledger_agency(agency_code, livemode=livemode)}:payable"


def treasury_account(agency_code: str, *, livemode: bool) -> str:
    """The ledger account standing for the agency's State Treasury revenue account."""
    return f"treasury:{ledger_agency(agency_code, livemode=livemode)}"


class Value(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the catalogue's Structs: immutable, strict about unknown names. msgspec
    applies ``kw_only`` to the fields of the class that says it, so subclasses repeat it."""


# ---------------------------------------------------------------- agencies

class AgencyKind(enum.StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    STATE_CORPORATION = "state_corporation"
    SOCIAL_SECURITY = "social_security"
    # A level of the state budget (the central budget, say) that a fee split can name.
    # It is modelled as an agency so that it gets the same payable and treasury accounts
    # and is remitted the same way.
    BUDGET_LEVEL = "budget_level"


class TreasuryAccount(Value, kw_only=True):
    """A revenue account at the State Treasury (Kho bạc Nhà nước)."""

    treasury_code: Annotated[str, Meta(pattern=r"^[0-9]{4}$")]
    account_number: Annotated[str, Meta(pattern=r"^[0-9]{4}(\.[0-9]{1,10}){0,3}$")]


class Agency(Value, kw_only=True):
    code: AgencyCode
    kind: AgencyKind
    name_vi: Name
    name_en: Name
    parent_code: AgencyCode | None = None
    treasury: TreasuryAccount

    def __post_init__(self) -> None:
        if self.parent_code == self.code:
            raise ValueError(f"agency {self.code} cannot be its own parent")


# ---------------------------------------------------------------- what a payer gives

class FieldKind(enum.StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    AMOUNT = "amount"  # a whole number of the currency's minor units (đồng)
    CHOICE = "choice"
    DATE = "date"  # ISO 8601, YYYY-MM-DD


class Normalize(enum.StrEnum):
    TRIM = "trim"
    UPPER = "upper"
    # Spaces, dots and hyphens removed, then upper case: "30A-123.45" becomes "30A12345".
    COMPACT_UPPER = "compact_upper"


class PayerField(Value, kw_only=True):
    name: FieldName
    label_vi: Name
    label_en: Name
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    pattern: str | None = None  # a text value, once normalised, must match it whole
    normalize: Normalize = Normalize.TRIM
    choices: list[Annotated[str, Meta(min_length=1, max_length=100)]] = []
    minimum: int | None = None  # integer and amount fields
    maximum: int | None = None

    def __post_init__(self) -> None:
        if (self.kind is FieldKind.CHOICE) != bool(self.choices):
            raise ValueError(f"field {self.name}: choices are required for a choice field and only there")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"field {self.name}: choices must be unique")
        if self.pattern is not None:
            if self.kind is not FieldKind.TEXT:
                raise ValueError(f"field {self.name}: a pattern applies to text fields only")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.name}: pattern does not compile ({exc})") from None
        numeric = self.kind in (FieldKind.INTEGER, FieldKind.AMOUNT)
        if not numeric and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"field {self.name}: minimum and maximum apply to integer and amount fields only")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"field {self.name}: minimum exceeds maximum")


# ---------------------------------------------------------------- the law's numbers

class BaseSalary(Value, kw_only=True):
    """The statutory base salary (lương cơ sở) from ``effective_from`` on."""

    effective_from: date
    amount_minor: PositiveAmountMinor


class Violation(Value, kw_only=True):
    """A violation code and the legal range of its fine."""

    code: ViolationCode
    description_vi: Name
    description_en: Name
    minimum_minor: PositiveAmountMinor
    maximum_minor: PositiveAmountMinor
    legal_basis: Annotated[str, Meta(max_length=500)]

    def __post_init__(self) -> None:
        if self.minimum_minor > self.maximum_minor:
            raise ValueError(f"violation {self.code}: minimum_minor exceeds maximum_minor")



# ---------------------------------------------------------------- billers and quotes

class Bill(Value, kw_only=True):
    """Something a biller says is owed: an electricity bill, a tax notice, a penalty decision."""

    biller: str
    reference: str  # the bill's or decision's number at the biller
    subject: str  # whose it is: customer code, tax code, plate number
    description: str
    period: str | None = None
    amount_minor: int
    currency: str
    due_date: date | None = None
    violation_code: str | None = None  # penalty decisions only
    status: Literal["unpaid", "paid"]
    paid_by: str | None = None  # the payment reference that paid it


class Household(Value, kw_only=True):
    """A household as the social-security registry knows it."""

    social_insurance_number: str
    head_name: str
    members: int
    coverage_end: date | None


class QuoteLine(Value, kw_only=True):
    description: str
    amount_minor: int


class Allocation(Value, kw_only=True):
    """What one agency (or budget level) receives of a payment."""

    agency_code: str
    amount_minor: int

    @property
    def account(self) -> str:
        return payable_account(self.agency_code, livemode=True)


class Quote(Value, kw_only=True):
    """What a service costs for given inputs, how it was reached, and who receives it.

    ``bills`` are the biller's items this payment settles: mark them paid
    (``catalogue.quoting.mark_quote_paid``) in the payment's transaction.
    """

    service_code: str
    agency_code: str
    currency: str
    total_minor: int
    lines: list[QuoteLine]
    allocations: list[Allocation]
    bills: list[Bill] = []
    inputs: dict[str, Any]
    priced_on: date


# ---------------------------------------------------------------- dossiers

class DossierStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    COMPLETED = "completed"
    REJECTED = "rejected"
    RETURNED_FOR_SUPPLEMENT = "returned_for_supplement"


class ActorKind(enum.StrEnum):
    APPLICANT = "applicant"
    AGENCY = "agency"
    PAYMENTS = "payments"  # the gateway, when a payment for the dossier succeeds


class DossierEvent(Value, kw_only=True):
    seq: int
    status: DossierStatus
    actor_kind: ActorKind
    actor: str
    note: str | None
    at: datetime


class Dossier(Value, kw_only=True):
    """A dossier as its agency sees it: with the applicant's details and who did what."""

    code: str
    service_code: str
    agency_code: str
    livemode: bool  # a test-mode dossier is the agency's test key's, a live one its live key's
    applicant_name: str
    applicant_contact: str
    fields: dict[str, Any]
    status: DossierStatus
    amount_minor: int | None
    currency: str | None
    payment_ref: str | None
    created_at: datetime
    updated_at: datetime
    history: list[DossierEvent]


class SubmittedDossier(Value, kw_only=True):
    dossier: Dossier
    tracking_secret: str  # shown to the applicant once; only its hash is kept


class TimelineEntry(Value, kw_only=True):
    status: DossierStatus
    at: datetime
    actor_kind: ActorKind  # who moved it, by role only: staff names are not public
    note: str | None


class DossierTracking(Value, kw_only=True):
    """What anyone holding the dossier code and its tracking secret sees: the service and
    the timeline, nothing about the applicant."""

    code: str
    service_code: str
    service_name_vi: str
    service_name_en: str
    status: DossierStatus
    amount_minor: int | None
    currency: str | None
    timeline: list[TimelineEntry]
