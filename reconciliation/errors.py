"""Reconciliation's refusals: input we cannot read without guessing."""

from __future__ import annotations


class ReconciliationError(Exception):
    """Base of everything reconciliation refuses."""


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
