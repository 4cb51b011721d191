"""Is a provider's net settlement on the bank statement? The booking is found by amount and
by reference, streaming the camt.053 so a statement of any size is read in flat memory: a
credit when the provider owes us the day's net, a debit when refunds outweighed payments and
we owe the provider.

Providers name their payouts differently, so the reference rule is deliberately loose: a
booked entry of exactly the expected amount, direction and currency whose end-to-end id,
remittance information or additional information mentions both the provider's code (any
case) and the business day (``20261121``, ``2026-11-21`` or ``21/11/2026``), either on
the entry or on one of its transaction details. An adapter with a stricter reference can
supply its own :data:`ReferenceRule`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import msgspec

from reconciliation.camt053 import StatementSource, iter_camt053
from reconciliation.model import CreditDebit, Entry

ReferenceRule = Callable[[str, str, date], bool]  # (text, provider, day) -> does it name the payout?
BOOKED = "BOOK"


class BankBooking(msgspec.Struct, frozen=True, kw_only=True):
    """The statement entry that confirmed a net settlement, as kept on the run."""

    reference: str  # the bank's reference of the booking, or our best stand-in for one
    amount_minor: int
    currency: str
    booking_date: date | None


def names_payout(text: str, provider: str, day: date) -> bool:
    lowered = text.lower()
    day_spellings = (day.strftime("%Y%m%d"), day.isoformat(), day.strftime("%d/%m/%Y"))
    return provider.lower() in lowered and any(spelling in text for spelling in day_spellings)


def find_settlement_booking(source: StatementSource, *, provider: str, day: date, net_minor: int, currency: str,
                            names: ReferenceRule = names_payout) -> BankBooking | None:
    """The first booked entry on the statement that settles ``net_minor`` for ``provider``
    and ``day`` (a credit of it when positive, a debit of its opposite when negative), or
    None. A zero net moves nothing and is never looked for."""
    assert net_minor != 0, "a zero net settlement books nothing on the statement"
    direction = CreditDebit.CREDIT if net_minor > 0 else CreditDebit.DEBIT
    for entry in iter_camt053(source):
        if (isinstance(entry, Entry) and entry.credit_debit is direction and not entry.reversal
                and entry.status == BOOKED and entry.amount_minor == abs(net_minor) and entry.currency == currency
                and any(names(text, provider, day) for text in _reference_texts(entry))):
            return BankBooking(reference=entry.bank_ref or entry.entry_ref or entry.end_to_end_id or "",
                               amount_minor=entry.amount_minor, currency=entry.currency,
                               booking_date=entry.booking_date)
    return None


def _reference_texts(entry: Entry) -> Iterator[str]:
    yield from (text for text in (entry.end_to_end_id, entry.additional_info) if text)
    yield from entry.remittance_lines
    for transaction in entry.transactions:
        yield from (text for text in (transaction.end_to_end_id, transaction.additional_info) if text)
        yield from transaction.remittance_lines
