"""Reconciliation's refusals: input we cannot read without guessing."""

from __future__ import annotations


class ReconciliationError(Exception):
    """Base of everything reconciliation refuses; ``code`` names the rule for callers."""

    code = "refused"


class AmountFormatError(ReconciliationError, ValueError):
    """A decimal amount that does not convert exactly to the currency's minor units."""


class StatementFormatError(ReconciliationError, ValueError):
    """A bank statement that is malformed, unsafe, or not the format we expected.

    ``element`` is where the problem is (``Stmt[1]/Ntry[3]/Amt``), ``line`` the source
    line when the parser knows it, ``reason`` what is wrong; ``str(error)`` joins them so a
    finance operator can find the spot in the file.
    """

    def __init__(self, reason: str, *, element: str | None = None, line: int | None = None) -> None:
        where = element or "document"
        if line is not None:
            where = f"{where} (line {line})"
        super().__init__(f"{where}: {reason}")
        self.reason = reason
        self.element = element
        self.line = line


class RunRefused(ReconciliationError):
    """A run, posting or resolution that would be wrong now."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RunLocked(RunRefused):
    """Another session holds the lock of this run (or of the nightly job)."""

    code = "run_locked"


class RunInputsChanged(RunRefused):
    """The day was reconciled from a different settlement file."""

    code = "inputs_changed"


class DayClosed(RunRefused):
    """The business day is closed: nothing posts into it any more."""

    code = "day_closed"


class SettlementFormatError(ReconciliationError, ValueError):
    """A settlement file we cannot read without guessing; names the line."""

    code = "malformed_settlement_file"
