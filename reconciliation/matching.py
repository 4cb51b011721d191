"""How each settlement line, and each ledger payment of the day, is classified: the rules
as pure functions. The nightly run applies the same rules in SQL over a staging table;
these are its specification and its test oracle.

The ledger side of a match is a :class:`LedgerEntry`: a confirmed payment (or refund) as the
gateway posted it, its transfers summed under one ``external_ref`` — the attempt reference
that the provider echoes in its settlement file (``SettlementLine.attempt_ref``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from providers.model import SettlementLine

BUSINESS_TIME_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class MatchClass(enum.StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_AT_PROVIDER = "missing_at_provider"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    # Paid just before the day's cut-off and not yet in the provider's file: carried to the
    # next day's run, not an error.
    TIMING_DIFFERENCE = "timing_difference"
    # Missing in the ledger because the gateway refused the payment: the provider took
    # another amount than its attempt asked (flagged, nothing booked). Found by the run's
    # recovery step from the gateway's attempts, not by these rules.
    AMOUNT_MISMATCH_REFUSED = "amount_mismatch_refused"


class LedgerEntry(msgspec.Struct, frozen=True, kw_only=True):
    attempt_ref: str
    kind: Literal["payment", "refund"]
    amount_minor: int
    currency: str
    booked_at: datetime  # aware

    @property
    def business_day(self) -> date:
        return self.booked_at.astimezone(BUSINESS_TIME_ZONE).date()


class Classified(msgspec.Struct, frozen=True, kw_only=True):
    attempt_ref: str
    match: MatchClass
    line: SettlementLine | None = None  # None for what only the ledger has
    entry: LedgerEntry | None = None


# From the best fit to the worst: which of a reference's repeated lines is kept.
FIT = [MatchClass.MATCHED, MatchClass.AMOUNT_MISMATCH, MatchClass.CURRENCY_MISMATCH, MatchClass.MISSING_IN_LEDGER]


def classify_line(line: SettlementLine, entry: LedgerEntry | None) -> MatchClass:
    """One line of the provider's file against the ledger's entry for its reference."""
    if entry is None or entry.kind != line.kind:
        return MatchClass.MISSING_IN_LEDGER
    if entry.currency != line.currency:
        return MatchClass.CURRENCY_MISMATCH
    if entry.amount_minor != line.amount_minor:
        return MatchClass.AMOUNT_MISMATCH
    return MatchClass.MATCHED


def classify_unsettled(entry: LedgerEntry, day: date, carry_window: timedelta) -> MatchClass:
    """A ledger entry of ``day`` that the provider's file does not mention."""
    day_ends = datetime.combine(day + timedelta(days=1), datetime.min.time(), BUSINESS_TIME_ZONE)
    if day_ends - carry_window <= entry.booked_at < day_ends:
        return MatchClass.TIMING_DIFFERENCE
    return MatchClass.MISSING_AT_PROVIDER


def classify_day(
    lines: Iterable[SettlementLine], entries: Mapping[str, LedgerEntry], day: date, carry_window: timedelta, *,
    carried: Mapping[str, LedgerEntry] | None = None, settled_elsewhere: AbstractSet[tuple[str, str]] = frozenset(),
) -> list[Classified]:
    """Every line of the file, then every entry of ``day`` the file left out, classified.

    A reference met more than once in the file keeps one line on its merits, the one that
    fits the ledger best, and its other lines are duplicates: so the outcome does not
    depend on the order of the file's lines. ``entries`` holds the ledger entries for the
    file's references and for ``day``, by attempt reference.

    Across midnight: ``carried`` are the day before's timing differences, which this file
    was to settle (left out, they are missing at the provider now); ``settled_elsewhere``
    holds the (reference, kind) of the lines in the provider's other files around the day
    (and the payments earlier runs recovered): an entry of the day among them was settled
    on the other side of midnight, and is not the day's to judge.
    """
    lines = list(lines)
    merits = [classify_line(line, entries.get(line.attempt_ref)) for line in lines]
    kept: dict[str, int] = {}
    for index, (line, match) in enumerate(zip(lines, merits)):
        best = kept.get(line.attempt_ref)
        if best is None or FIT.index(match) < FIT.index(merits[best]):
            kept[line.attempt_ref] = index
    result = [
        Classified(attempt_ref=line.attempt_ref, line=line, entry=entries.get(line.attempt_ref),
                   match=match if kept[line.attempt_ref] == index else MatchClass.DUPLICATE_IN_FILE)
        for index, (line, match) in enumerate(zip(lines, merits))
    ]
    unsettled = {ref: entry for ref, entry in entries.items() if entry.business_day == day}
    unsettled |= {ref: entry for ref, entry in (carried or {}).items() if ref not in unsettled}
    for ref, entry in unsettled.items():
        if ref not in kept and (ref, entry.kind) not in settled_elsewhere:
            result.append(Classified(attempt_ref=ref, match=classify_unsettled(entry, day, carry_window), entry=entry))
    return result
