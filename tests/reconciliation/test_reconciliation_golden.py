"""The golden days end to end against a real database: classes, postings, the bank's
confirmation, remittances, reports, repeated runs and changed inputs."""

from __future__ import annotations

import io
import json

import pytest

from golden_books import DATA, DAY, SETUP, FakeProvider, book_clean_day, book_every_class_day
from ledger import store as ledger
from reconciliation import reports
from reconciliation.engine import run_reconciliation
from reconciliation.errors import RunInputsChanged
from reconciliation.exceptions import list_exceptions
from reconciliation.runs import RunStatus

CLEAN, CLEAN_STATEMENT = DATA / "clean_day.csv", DATA / "clean_day_statement.xml"
EVERY, EVERY_STATEMENT = DATA / "every_class.csv", DATA / "every_class_statement.xml"


async def balances(conn, *codes):
    return {code: (await ledger.get_balance(conn, code)).posted for code in codes}


async def reconcile(conn, settlement, statement=None, provider=None):
    provider = provider or FakeProvider({"PA-105": 50_000})
    return await run_reconciliation(conn, SETUP, DAY, settlement, statement=statement,
                                    recovery=provider.recovery)


async def test_a_clean_day_settles_confirms_and_remits(conn):
    await book_clean_day(conn)
    run = await reconcile(conn, CLEAN, CLEAN_STATEMENT)
    assert run.status is RunStatus.COMPLETED and run.bank_entry_ref == "FT2632600002"
    assert run.counts == {"lines": 3, "matched": 3, "recovered": 0}
    assert run.totals["net_settlement_minor"] == 366_700 and run.totals["fee_minor"] == 3_300
    assert await balances(conn, "provider:vnpay:clearing", "bank:vcb:settlement", "fees:provider:vnpay", "suspense",
                          "agency:MOJ:payable", "agency:MOH:payable", "treasury:MOJ", "treasury:MOH") == {
        "provider:vnpay:clearing": 0, "bank:vcb:settlement": 366_700, "fees:provider:vnpay": 3_300, "suspense": 0,
        "agency:MOJ:payable": 0, "agency:MOH:payable": 0, "treasury:MOJ": 320_000, "treasury:MOH": 50_000}
    assert await ledger.verify_ledger(conn) == []


async def test_every_class_of_discrepancy(conn):
    await book_every_class_day(conn)
    provider = FakeProvider({"PA-105": 50_000})
    run = await reconcile(conn, EVERY, EVERY_STATEMENT, provider)
    assert run.counts == {"lines": 10, "matched": 6, "recovered": 1, "amount_mismatch": 1, "currency_mismatch": 1,
                          "missing_in_ledger": 1, "duplicate_in_file": 1, "missing_at_provider": 1,
                          "timing_difference": 1}
    assert sorted(provider.asked) == ["PA-105", "PA-106"]
    queued = {(e.match_class, e.attempt_ref) for e in await list_exceptions(conn, DAY)}
    assert queued == {("amount_mismatch", "PA-103"), ("currency_mismatch", "PA-104"), ("missing_in_ledger", "PA-106"),
                      ("duplicate_in_file", "PA-109"), ("missing_at_provider", "PA-107")}
    assert run.totals["gross_attributed_minor"] == 620_000 and run.totals["gross_unattributed_minor"] == 289_000
    # What the ledger cannot prove waits in suspense; the recovered payment was booked by the
    # gateway to its agency (MOH), settled and remitted; the bank got the file's whole net.
    assert await balances(conn, "bank:vcb:settlement", "fees:provider:vnpay", "suspense", "treasury:MOJ",
                          "treasury:MOH") == {"bank:vcb:settlement": 901_255, "fees:provider:vnpay": 7_745,
                                              "suspense": 289_000, "treasury:MOJ": 420_000, "treasury:MOH": 200_000}
    assert await ledger.verify_ledger(conn) == []


async def test_money_the_gateway_cannot_attribute_stays_an_exception_in_suspense(conn):
    await book_every_class_day(conn)
    provider = FakeProvider({"PA-105": 50_000, "PA-106": 70_000}, attempts={"PA-105": "MOH"})
    run = await reconcile(conn, EVERY, EVERY_STATEMENT, provider)
    assert (run.counts["recovered"], run.counts["missing_in_ledger"]) == (1, 1)
    assert ("missing_in_ledger", "PA-106") in {(e.match_class, e.attempt_ref) for e in await list_exceptions(conn, DAY)}
    assert await (await conn.execute("SELECT count(*) FROM ledger.transfers WHERE external_ref = 'PA-106'")).fetchone() == (0,)
    assert await balances(conn, "suspense") == {"suspense": 289_000}


async def test_a_payment_recovered_the_night_after_is_not_missing_from_that_day(conn, tmp_path):
    await book_every_class_day(conn)
    await reconcile(conn, EVERY, EVERY_STATEMENT)  # PA-105 is booked now, by the (fake) gateway
    booked_on = (await (await conn.execute(
        "SELECT (created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date FROM ledger.transfers WHERE external_ref = 'PA-105'"
    )).fetchone())[0]
    empty = tmp_path / "empty.csv"
    empty.write_bytes((DATA / "every_class.csv").read_bytes().splitlines(keepends=True)[0])
    next_run = await run_reconciliation(conn, SETUP, booked_on, empty, recovery=FakeProvider().recovery)
    entries = await (await conn.execute("SELECT attempt_ref FROM recon.matches WHERE run_id = %s",
                                        (next_run.id,))).fetchall()
    # (The golden refund is posted through the ledger's API, on the day the test runs.)
    assert ("PA-105",) not in entries and entries == [("RF-101",)]


async def test_reports_in_json_and_csv(conn):
    await book_every_class_day(conn)
    await reconcile(conn, EVERY, EVERY_STATEMENT)
    report = await reports.build_report(conn, DAY)
    document = json.loads(reports.report_json(report))
    [part] = document["providers"]
    assert part["run"]["totals"]["net_settlement_minor"] == 901_255
    assert {a["agency"]: (a["paid_minor"], a["settled_minor"], a["remitted_minor"]) for a in part["agencies"]} == {
        "MOJ": (620_000, 420_000, 420_000), "MOH": (230_000, 200_000, 200_000)}
    assert len(part["exceptions"]) == 5
    figures = io.StringIO()
    reports.write_report_csv(report, figures)
    assert "vnpay,MOJ,remitted_minor,420000" in figures.getvalue().splitlines()
    assert "vnpay,,count:timing_difference,1" in figures.getvalue().splitlines()
    remittances = io.StringIO()
    reports.write_remittance_file(report, remittances)
    assert remittances.getvalue().splitlines()[1:] == [
        "recon:vnpay:2026-11-21:remit:MOH,2026-11-21,vnpay,MOH,treasury:MOH,200000,VND",
        "recon:vnpay:2026-11-21:remit:MOJ,2026-11-21,vnpay,MOJ,treasury:MOJ,420000,VND"]
    listed = io.StringIO()
    reports.write_exceptions_csv(report, listed)
    assert len(listed.getvalue().splitlines()) == 6


async def test_a_repeated_run_posts_nothing_new(conn):
    await book_every_class_day(conn)
    first = await reconcile(conn, EVERY, EVERY_STATEMENT)
    transfers = (await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone())[0]
    exceptions = len(await list_exceptions(conn, DAY))
    again = await reconcile(conn, EVERY, EVERY_STATEMENT)
    assert (await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone())[0] == transfers
    assert len(await list_exceptions(conn, DAY)) == exceptions
    assert again.attempts == 2 and (again.counts, again.totals) == (first.counts, first.totals)


async def test_remittances_wait_for_the_bank(conn):
    await book_clean_day(conn)
    waiting = await reconcile(conn, CLEAN)
    assert waiting.status is RunStatus.AWAITING_STATEMENT
    assert (await ledger.get_balance(conn, "bank:vcb:settlement")).posted == 366_700
    short = await reconcile(conn, CLEAN, DATA / "short_statement.xml")
    assert short.status is RunStatus.AWAITING_STATEMENT and short.statement_sha256 is not None
    assert [e.match_class for e in await list_exceptions(conn, DAY)] == ["bank_credit_missing"]
    assert await (await conn.execute("SELECT count(*) FROM recon.remittances")).fetchone() == (0,)
    done = await reconcile(conn, CLEAN, CLEAN_STATEMENT)
    assert done.status is RunStatus.COMPLETED and done.totals["remitted_minor"] == 370_000


async def test_a_different_file_for_a_reconciled_day_is_refused(conn):
    await book_clean_day(conn)
    await reconcile(conn, CLEAN, CLEAN_STATEMENT)
    with pytest.raises(RunInputsChanged):
        await reconcile(conn, EVERY, CLEAN_STATEMENT)
