"""Whether a bank statement adds up: opening booked + booked entries = closing booked.

A statement that does not add up means an entry is missing from the file, or the bank
sent the wrong balances; either way finance staff must look, so the result is a value
that says what is off, not an exception. The same tally serves a whole statement in
memory and a streamed one, entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciliation.amounts import format_amount_minor
from reconciliation.model import BalanceCheck, Entry, Statement, StatementHeader

BOOKED = "BOOK"


class BalanceTally:
    """Running sums over one statement's entries (mutable, so that a stream of 100 000
    entries needs none of them kept)."""

    __slots__ = ("currency", "booked_net_minor", "booked", "unbooked", "foreign")

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.booked_net_minor = 0
        self.booked = 0
        self.unbooked = 0
        self.foreign = 0

    def add(self, entry: Entry) -> None:
        if entry.currency != self.currency:
            self.foreign += 1
        elif entry.status != BOOKED:
            self.unbooked += 1
        else:
            self.booked += 1
            self.booked_net_minor += entry.signed_minor

    def check(self, header: StatementHeader) -> BalanceCheck:
        return _check(header, self)


def check_balances(statement: Statement) -> BalanceCheck:
    """The balance check of a statement held in memory."""
    return tally_entries(statement.header, statement.entries).check(statement.header)


def tally_entries(header: StatementHeader, entries: Iterable[Entry]) -> BalanceTally:
    tally = BalanceTally(header.currency)
    for entry in entries:
        tally.add(entry)
    return tally


def _check(header: StatementHeader, tally: BalanceTally) -> BalanceCheck:
    currency = header.currency
    opening, closing = header.opening_booked, header.closing_booked
    problems: list[str] = []

    def money(amount_minor: int) -> str:
        return f"{format_amount_minor(amount_minor, currency)} {currency}"

    for name, balance in (("opening", opening), ("closing", closing)):
        if balance is None:
            problems.append(f"no {name} booked balance")
        elif balance.currency != currency:
            problems.append(f"{name} booked balance is in {balance.currency}, the statement in {currency}")
    if tally.foreign:
        problems.append(f"{tally.foreign} entries not in {currency} were left out of the sum")

    opening_minor = opening.signed_minor if opening is not None else None
    closing_minor = closing.signed_minor if closing is not None else None
    expected = gap = None
    comparable = (opening is not None and closing is not None
                  and opening.currency == currency and closing.currency == currency)
    if comparable:
        assert opening_minor is not None and closing_minor is not None
        expected = opening_minor + tally.booked_net_minor
        gap = closing_minor - expected
        if gap:
            problems.append(
                f"closing booked balance {money(closing_minor)} is not opening {money(opening_minor)}"
                f" plus booked entries {money(tally.booked_net_minor)} = {money(expected)}:"
                f" a gap of {money(gap)}")
    return BalanceCheck(
        currency=currency, opening_minor=opening_minor, booked_net_minor=tally.booked_net_minor,
        expected_closing_minor=expected, closing_minor=closing_minor, gap_minor=gap,
        booked_entries=tally.booked, unbooked_entries=tally.unbooked,
        foreign_currency_entries=tally.foreign, problems=tuple(problems))
