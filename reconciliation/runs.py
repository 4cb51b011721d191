"""A reconciliation run as values: what it is set up with, where it stands, what it found."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

import msgspec


class ProviderSetup(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one provider settles: into which bank's account, in which currency.

    ``carry_window_s``: a payment booked this close before midnight that the day's file
    leaves out is a timing difference (the provider will settle it tomorrow), not missing.
    """

    provider: str
    bank: str
    currency: str = "VND"
    carry_window_s: int = 30 * 60

    @property
    def carry_window(self) -> timedelta:
        return timedelta(seconds=self.carry_window_s)


class RunStep(enum.StrEnum):
    """The steps of a run, in order. Each commits its effects together with its marker,
    so a run that crashed resumes after the last step it finished."""

    LOAD = "load"
    CLASSIFY = "classify"
    RECOVER = "recover"
    EXCEPTIONS = "exceptions"
    SETTLE = "settle"
    CONFIRM_BANK = "confirm_bank"
    REMIT = "remit"
    TOTALS = "totals"


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    AWAITING_STATEMENT = "awaiting_statement"  # posted; remittances wait for the bank's credit
    COMPLETED = "completed"


class Run(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    provider: str
    business_day: date
    bank: str
    currency: str
    status: RunStatus
    steps_done: list[RunStep]
    settlement_sha256: str
    statement_sha256: str | None
    bank_entry_ref: str | None
    counts: dict[str, int]
    totals: dict[str, Any]
    attempts: int
    started_at: datetime
    finished_at: datetime | None

    def done(self, step: RunStep) -> bool:
        return step in self.steps_done


class SettlementTotals(msgspec.Struct, frozen=True, kw_only=True):
    """Sums over the file's lines in the run's currency, refunds counted negative.

    Attributed lines are those the ledger proves (matched, or recovered); everything else
    the provider paid us for is unattributed and goes to suspense until finance resolves it.
    """

    gross_attributed_minor: int = 0
    fee_attributed_minor: int = 0
    gross_unattributed_minor: int = 0
    fee_unattributed_minor: int = 0

    @property
    def fee_minor(self) -> int:
        return self.fee_attributed_minor + self.fee_unattributed_minor

    @property
    def net_minor(self) -> int:
        """What the provider pays into the bank account for the file."""
        return self.gross_attributed_minor + self.gross_unattributed_minor - self.fee_minor


class Resolution(enum.StrEnum):
    MANUAL_MATCH = "manual_match"  # finance staff pair the line with the ledger by hand
    WRITE_OFF = "write_off"  # the difference goes to suspense
    REFUND = "refund"  # the money goes back to the payer through the provider
    RE_QUERY = "re_query"  # ask the provider again; books the payment if it says paid
    # A later run found the line's payment booked after the line's run (its callback came
    # late) and matched it; never chosen by staff.
    LATE_BOOKING = "late_booking"

    @property
    def by_staff(self) -> bool:
        return self != Resolution.LATE_BOOKING


class ReconException(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    run_id: int
    provider: str
    business_day: date
    match_class: str
    attempt_ref: str
    line_no: int | None
    evidence: dict[str, Any]
    status: str
    resolution: Resolution | None
    created_at: datetime
