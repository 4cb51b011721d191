"""The set-based classification in SQL and the pure rules of reconciliation.matching agree
on generated pairs of days: every line gets the same class, and the same ledger entries
are left over as missing at the provider or timing differences, across midnight too (the
first day's timing differences, and the entries its file settled, seen from the second)."""

from __future__ import annotations

import itertools
from datetime import UTC, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden_books import DAY, at, book_payments, open_books
from ledger import store as ledger
from providers.model import SettlementLine
from reconciliation import store
from reconciliation.matching import LedgerEntry, MatchClass, classify_day
from reconciliation.postings import clearing_account
from reconciliation.runs import ProviderSetup

WINDOW = timedelta(minutes=30)
REFS = [f"A{i}" for i in range(8)]
NOON = at(12)

lines = st.lists(st.builds(
    lambda ref, amount, currency, kind: SettlementLine(
        provider="p", attempt_ref=ref, provider_ref=f"P{ref}", kind=kind, amount_minor=amount, fee_minor=100,
        currency=currency, transacted_at=NOON.astimezone(UTC), settlement_date=DAY + timedelta(days=1)),
    st.sampled_from(REFS), st.sampled_from([100_000, 150_000]), st.sampled_from(["VND", "USD"]),
    st.sampled_from(["payment", "payment", "refund"])), max_size=20)
# (amount, minutes from noon of the day, split in two legs?): from the day before to the
# last minute, often close to either midnight
minutes = st.one_of(st.integers(-2000, 719), st.sampled_from([-745, -721, -719, -700, 700, 715, 719]))
entries = st.dictionaries(st.sampled_from(REFS), st.tuples(
    st.sampled_from([100_000, 150_000]), minutes, st.booleans()), max_size=8)
providers = itertools.count()


async def classify_run(conn, setup, clearing_id, day, lines):
    run = await store.start_run(conn, setup, day, f"sha-{day}")
    await store.copy_settlement_lines(conn, run.id, lines, lambda count: None)
    await store.classify(conn, run.id, setup.provider, clearing_id, day, WINDOW)
    return await (await conn.execute("SELECT line_no, attempt_ref, match_class FROM recon.matches WHERE run_id = %s",
                                     (run.id,))).fetchall()


def assert_alike(rows, lines, expected):
    assert sorted((n, c) for n, _, c in rows if n is not None) == [
        (number, c.match.value) for number, c in enumerate(expected[:len(lines)], start=1)]
    assert sorted((r, c) for n, r, c in rows if n is None) == sorted(
        (c.attempt_ref, c.match.value) for c in expected[len(lines):])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=lines, lines=lines, raw=entries)
async def test_sql_and_pure_rules_classify_alike(conn, before, lines, raw):
    # A provider of its own per example: its clearing account isolates the example's ledger.
    setup = ProviderSetup(provider=f"p{next(providers)}", bank="b")
    await open_books(conn, setup, agencies=("A", "B"))
    booked = {ref: LedgerEntry(attempt_ref=ref, kind="payment", amount_minor=amount, currency="VND",
                               booked_at=NOON + timedelta(minutes=minutes))
              for ref, (amount, minutes, _) in raw.items()}
    legs = []
    for ref, (amount, minutes, split) in raw.items():
        shares = [("A", amount - 40_000), ("B", 40_000)] if split else [("A", amount)]
        legs += [(ref, agency, share, NOON + timedelta(minutes=minutes)) for agency, share in shares]
    await book_payments(conn, legs, provider=setup.provider)
    clearing = await ledger.get_account(conn, clearing_account(setup.provider))

    day_before = DAY - timedelta(days=1)
    expected_before = classify_day(before, booked, day_before, WINDOW)
    assert_alike(await classify_run(conn, setup, clearing.id, day_before, before), before, expected_before)
    carried = {c.attempt_ref: c.entry for c in expected_before[len(before):]
               if c.match is MatchClass.TIMING_DIFFERENCE}
    expected = classify_day(lines, booked, DAY, WINDOW, carried=carried,
                            settled_elsewhere={(line.attempt_ref, line.kind) for line in before})
    assert_alike(await classify_run(conn, setup, clearing.id, DAY, lines), lines, expected)
