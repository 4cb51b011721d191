"""Bank statements as values: what an ISO 20022 camt.053 says, independent of its XML.

Amounts are integers in the currency's minor unit and always non-negative, as in the
file; the direction is :class:`CreditDebit`, from the account holder's side (a credit
raises our balance). ``signed_minor`` gives the signed view for arithmetic.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import msgspec


class CreditDebit(enum.StrEnum):
    CREDIT = "CRDT"
    DEBIT = "DBIT"


class Balance(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``Bal``: ``type_code`` is ISO's (``OPBD`` opening booked, ``CLBD`` closing
    booked, ``PRCD`` previously closed booked, ``CLAV`` closing available, ...)."""

    type_code: str
    amount_minor: int
    currency: str
    credit_debit: CreditDebit
    balance_date: date | None

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.credit_debit is CreditDebit.CREDIT else -self.amount_minor


class AccountRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The statement's account: an IBAN, or the bank's own identifier (``Othr/Id``),
    which is what Vietnamese banks use for domestic accounts."""

    iban: str | None = None
    other_id: str | None = None
    currency: str | None = None
    owner_name: str | None = None
    servicer_bic: str | None = None

    @property
    def identifier(self) -> str:
        return self.iban or self.other_id or ""


class TransactionDetails(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``TxDtls`` of an entry: a single payment inside a (possibly batched) booking."""

    end_to_end_id: str | None = None
    instruction_id: str | None = None
    account_servicer_ref: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    remittance_lines: tuple[str, ...] = ()
    debtor_name: str | None = None
    debtor_account: str | None = None
    creditor_name: str | None = None
    creditor_account: str | None = None
    additional_info: str | None = None
    return_reason: str | None = None


class Entry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``Ntry``: a booking on the account.

    ``end_to_end_id``, ``remittance_lines`` and ``counterparty_name`` are taken from the
    entry's transaction details when there is exactly one; a batch booking (several
    ``TxDtls``) leaves them empty, because attributing one payment's reference to the
    whole batch would make a matcher pair the wrong amounts. Use ``transactions`` then.
    ``reversal`` marks an entry that undoes an earlier one; its ``credit_debit`` is the
    direction of this booking (a reversed credit is booked as a debit), per ISO 20022.
    """

    amount_minor: int
    currency: str
    credit_debit: CreditDebit
    reversal: bool
    status: str  # BOOK, PDNG or INFO
    booking_date: date | None
    value_date: date | None
    entry_ref: str | None = None  # NtryRef
    bank_ref: str | None = None  # AcctSvcrRef: the bank's unique reference of the booking
    bank_transaction_code: str | None = None  # Domain/Family/SubFamily, e.g. PMNT/RCDT/ESCT
    additional_info: str | None = None  # AddtlNtryInf
    end_to_end_id: str | None = None
    remittance_lines: tuple[str, ...] = ()
    counterparty_name: str | None = None
    transactions: tuple[TransactionDetails, ...] = ()

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.credit_debit is CreditDebit.CREDIT else -self.amount_minor


class StatementHeader(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything in a ``Stmt`` before its entries; streamed before the first entry."""

    version: str  # the message definition, e.g. "camt.053.001.02"
    message_id: str | None
    statement_id: str
    created_at: datetime | None
    from_datetime: datetime | None
    to_datetime: datetime | None
    electronic_sequence: int | None
    legal_sequence: int | None
    account: AccountRef
    currency: str
    opening_booked: Balance | None  # OPBD, or PRCD when the bank sends that instead
    closing_booked: Balance | None  # CLBD
    balances: tuple[Balance, ...]  # every Bal in file order, including the two above


class BalanceCheck(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Does opening booked + booked entries = closing booked? Reported, never raised:
    a bank statement that does not add up is a finding for finance staff, not a crash.

    ``gap_minor`` is closing − (opening + net booked entries), signed; ``problems`` says in
    words what is off (a gap, a missing balance, entries left out of the sum).
    """

    currency: str
    opening_minor: int | None
    booked_net_minor: int
    expected_closing_minor: int | None
    closing_minor: int | None
    gap_minor: int | None
    booked_entries: int
    unbooked_entries: int  # PDNG / INFO entries: not part of the booked balance
    foreign_currency_entries: int  # entries not in the statement's currency: not summed
    problems: tuple[str, ...]

    @property
    def balanced(self) -> bool:
        return not self.problems


class StatementEnd(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Closes a streamed statement: how many entries it had and whether it adds up."""

    statement_id: str
    entry_count: int
    check: BalanceCheck


class Statement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A whole statement in memory; for very large files stream instead."""

    header: StatementHeader
    entries: tuple[Entry, ...]
