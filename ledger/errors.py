"""The ledger's refusals. ``code`` is the rule's name, stable for callers to branch on."""

from __future__ import annotations

from ledger.model import TransferResult


class LedgerError(Exception):
    """Base of everything the ledger refuses."""


class AccountError(LedgerError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TransferRejected(LedgerError):
    """One transfer was refused."""

    def __init__(self, result: TransferResult) -> None:
        super().__init__(f"transfer {result.id!r} refused: {result.code}"
                         + (f" ({result.message})" if result.message else ""))
        self.result = result
        self.code = result.code


class LinkedBatchRejected(LedgerError):
    """A linked batch was refused as a whole because one of its transfers was."""

    def __init__(self, index: int, result: TransferResult) -> None:
        super().__init__(f"linked batch refused: transfer #{index} ({result.id!r}) {result.code}"
                         + (f": {result.message}" if result.message else ""))
        self.index = index
        self.result = result
        self.code = result.code
