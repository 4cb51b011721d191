"""The matching rules: each class by example, and properties over generated days."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from providers.model import SettlementLine
from reconciliation.matching import BUSINESS_TIME_ZONE, LedgerEntry, MatchClass, classify_day

DAY = date(2026, 11, 21)
WINDOW = timedelta(minutes=30)
NOON = datetime(2026, 11, 21, 12, tzinfo=BUSINESS_TIME_ZONE)


def line(ref, amount=150_000, currency="VND", kind="payment"):
    return SettlementLine(provider="vnpay", attempt_ref=ref, provider_ref=f"P{ref}", kind=kind, amount_minor=amount,
                          fee_minor=1_200, currency=currency, transacted_at=NOON.astimezone(UTC),
                          settlement_date=DAY + timedelta(days=1))


def entry(ref, amount=150_000, currency="VND", at=NOON, kind="payment"):
    return LedgerEntry(attempt_ref=ref, kind=kind, amount_minor=amount, currency=currency, booked_at=at)


def test_every_class_by_example():
    late = datetime(2026, 11, 21, 23, 50, tzinfo=BUSINESS_TIME_ZONE)
    entries = {e.attempt_ref: e for e in [
        entry("ok"), entry("short", amount=149_000), entry("usd", currency="USD"), entry("dup"),
        entry("lost"), entry("late", at=late), entry("refund", kind="refund"),
        entry("yesterday", at=NOON - timedelta(days=1)),
    ]}
    lines = [line("ok"), line("short"), line("usd"), line("dup"), line("dup"), line("ghost"),
             line("refund", kind="refund"), line("yesterday")]
    classes = {(c.attempt_ref, c.match) for c in classify_day(lines, entries, DAY, WINDOW)}
    assert classes == {
        ("ok", MatchClass.MATCHED), ("short", MatchClass.AMOUNT_MISMATCH), ("usd", MatchClass.CURRENCY_MISMATCH),
        ("dup", MatchClass.MATCHED), ("dup", MatchClass.DUPLICATE_IN_FILE), ("ghost", MatchClass.MISSING_IN_LEDGER),
        ("refund", MatchClass.MATCHED), ("yesterday", MatchClass.MATCHED),  # carried from the day before
        ("lost", MatchClass.MISSING_AT_PROVIDER), ("late", MatchClass.TIMING_DIFFERENCE),
    }


refs = st.sampled_from([f"A{i}" for i in range(8)])
amounts = st.sampled_from([100_000, 150_000])
days_lines = st.lists(st.builds(line, refs, amounts, st.sampled_from(["VND", "USD"])), max_size=20)
days_entries = st.dictionaries(refs, st.builds(
    lambda amount, minutes: (amount, NOON + timedelta(minutes=minutes)), amounts, st.integers(-2000, 719)), max_size=8)


def as_entries(raw):
    return {ref: entry(ref, amount=amount, at=at) for ref, (amount, at) in raw.items()}


@given(days_lines, days_entries, st.randoms())
def test_classes_do_not_depend_on_the_order_of_lines(lines, raw, rnd):
    shuffled = list(lines)
    rnd.shuffle(shuffled)
    tally = lambda ls: Counter((c.attempt_ref, c.match) for c in classify_day(ls, as_entries(raw), DAY, WINDOW))
    assert tally(lines) == tally(shuffled)


@given(days_lines, days_entries)
def test_each_line_once_and_each_unsettled_entry_of_the_day_once(lines, raw):
    entries = as_entries(raw)
    result = classify_day(lines, entries, DAY, WINDOW)
    assert [c.line for c in result if c.line is not None] == lines
    only_ledger = [c.attempt_ref for c in result if c.line is None]
    assert sorted(only_ledger) == sorted(ref for ref, e in entries.items()
                                         if e.business_day == DAY and ref not in {ln.attempt_ref for ln in lines})
    first_seen = {}
    for c in result:
        if c.line is not None and c.match is MatchClass.MATCHED:
            assert first_seen.setdefault(c.attempt_ref, c) is c  # a reference matches at most once
