"""The ledger's values: accounts, transfer requests and their results, balances."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Literal

import msgspec

MAX_AMOUNT_MINOR = 2**63 - 1  # PostgreSQL bigint, TigerBeetle-sized

# Spreading a balance over slots lets concurrent transfers touch one account without
# waiting for each other; sixteen is enough for dozens of concurrent writers.
DEFAULT_SLOT_COUNT = 16


class NormalSide(enum.StrEnum):
    DEBIT = "debit"  # assets and expenses
    CREDIT = "credit"  # liabilities, equity and income


class AccountSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: str
    currency: str
    normal_side: NormalSide
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False
    metadata: dict[str, Any] = {}
    slot_count: int = DEFAULT_SLOT_COUNT


class Account(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    currency: str
    normal_side: NormalSide
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    metadata: dict[str, Any]
    closed: bool
    created_at: datetime


class Transfer(msgspec.Struct, frozen=True, kw_only=True, tag="transfer"):
    """Moves ``amount_minor`` now, or reserves it when ``pending`` (until posted or voided)."""

    id: str
    debit_account: str
    credit_account: str
    amount_minor: int
    currency: str
    kind: str
    pending: bool = False
    # A pending transfer that is neither posted nor voided within this time voids itself.
    timeout_s: int | None = None
    external_ref: str | None = None
    metadata: dict[str, Any] = {}


class PostPending(msgspec.Struct, frozen=True, kw_only=True, tag="post_pending"):
    """Posts a pending transfer: all of it, or ``amount_minor`` of it (the rest is released)."""

    id: str
    pending_id: str
    amount_minor: int | None = None
    external_ref: str | None = None
    metadata: dict[str, Any] = {}


class VoidPending(msgspec.Struct, frozen=True, kw_only=True, tag="void_pending"):
    """Releases a pending transfer's reservation without moving money."""

    id: str
    pending_id: str
    external_ref: str | None = None
    metadata: dict[str, Any] = {}


TransferRequest = Transfer | PostPending | VoidPending


class TransferResult(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one requested transfer.

    ``code`` is ``created``, ``exists`` (the same id with the same body: the original stands)
    or the name of the rule that refused it (``exceeds_credits``, ``exists_with_different_amount``...).
    """

    id: str
    code: str
    seq: int | None = None
    created_at: datetime | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.code in ("created", "exists")


class StoredTransfer(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    id: str
    phase: Literal["posted", "pending", "post_pending", "void_pending", "expire_pending"]
    debit_account: str
    credit_account: str
    amount_minor: int
    currency: str
    kind: str
    pending_id: str | None
    timeout_s: int | None
    external_ref: str | None
    metadata: dict[str, Any]
    created_at: datetime


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    currency: str
    normal_side: NormalSide
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int

    @property
    def posted(self) -> int:
        """The posted balance, positive on the account's normal side."""
        return signed_by_normal_side(self.normal_side, self.debits_posted, self.credits_posted)

    @property
    def available(self) -> int:
        """The posted balance less what pending transfers have reserved against it."""
        if self.normal_side is NormalSide.DEBIT:
            return self.debits_posted - self.credits_posted - self.credits_pending
        return self.credits_posted - self.debits_posted - self.debits_pending


class AccountBalance(Balance, frozen=True, kw_only=True):
    """An account's balance now, in a list of every account."""

    closed: bool


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    transfer_id: str
    kind: str
    debit_minor: int
    credit_minor: int
    balance_minor: int  # running posted balance after this line, on the normal side
    counterparty: str
    external_ref: str | None
    created_at: datetime


class StatementPage(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    currency: str
    opening_balance_minor: int
    lines: list[StatementLine]
    next_after_seq: int | None  # pass back as ``after_seq`` for the next page


def signed_by_normal_side(side: NormalSide, debits: int, credits: int) -> int:
    return debits - credits if side is NormalSide.DEBIT else credits - debits
