"""Days that hand money to each other: a payment booked on one side of midnight and
settled on the other (both ways), a line the ledger lacked until after its run, money
settled by finance staff after its day's remittance, and a day whose refunds for an
agency exceed its payments. Each is remitted once, whatever order the runs and
resolutions come in, however often a run is repeated."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import psycopg

from golden_books import (
    DATA, DAY, SETUP, FakeProvider, at, book_every_class_day, book_payments, book_refund, open_books,
    settlement_file, settlement_statement,
)
from ledger import store as ledger
from reconciliation import reports
from reconciliation.agency_settlements import agency_settlement
from reconciliation.engine import run_reconciliation
from reconciliation.exceptions import exception_history, list_exceptions, resolve_exception
from reconciliation.runs import Resolution, RunStatus

NEXT, AFTER = DAY + timedelta(days=1), DAY + timedelta(days=2)


async def reconcile(conn, day, settlement, statement=None, provider=None):
    return await run_reconciliation(conn, SETUP, day, settlement, statement=statement,
                                    recovery=(provider or FakeProvider()).recovery)


async def classes(conn, run):
    rows = await (await conn.execute("SELECT attempt_ref, match_class FROM recon.matches WHERE run_id = %s"
                                     " ORDER BY attempt_ref", (run.id,))).fetchall()
    return dict(rows)


async def posted(conn, *codes):
    return {code: (await ledger.get_balance(conn, code)).posted for code in codes}


async def test_booked_just_after_midnight_and_settled_the_day_before_is_not_missing_the_next_day(conn, tmp_path):
    await open_books(conn)
    await book_payments(conn, [("PA-201", "MOJ", 100_000, at(0, 1, NEXT)), ("PA-202", "MOJ", 40_000, at(9, 0, NEXT))])
    first = await reconcile(conn, DAY, settlement_file(tmp_path / "day.csv", DAY, [
        ("PA-201", "payment", 100_000, at(23, 59))]))
    assert await classes(conn, first) == {"PA-201": "matched"}
    second = await reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, [
        ("PA-202", "payment", 40_000, at(9, 0, NEXT))]))
    assert await classes(conn, second) == {"PA-202": "matched"}
    assert await list_exceptions(conn, NEXT) == []
    assert (await posted(conn, "provider:vnpay:clearing")) == {"provider:vnpay:clearing": 0}


async def test_a_timing_difference_is_settled_the_next_day_or_missing_then(conn, tmp_path):
    await open_books(conn)
    await book_payments(conn, [("PA-203", "MOJ", 70_000, at(23, 50)), ("PA-204", "MOH", 30_000, at(23, 55))])
    first = await reconcile(conn, DAY, settlement_file(tmp_path / "day.csv", DAY, []))
    assert await classes(conn, first) == {"PA-203": "timing_difference", "PA-204": "timing_difference"}
    assert first.status is RunStatus.COMPLETED and await list_exceptions(conn, DAY) == []
    # The next day's file carries PA-204 only: PA-203 is missing at the provider now.
    second = await reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, [
        ("PA-204", "payment", 30_000, at(23, 55))]), settlement_statement(tmp_path / "next.xml", NEXT, 30_000))
    assert await classes(conn, second) == {"PA-203": "missing_at_provider", "PA-204": "matched"}
    assert [(e.match_class, e.attempt_ref) for e in await list_exceptions(conn, NEXT)] == [
        ("missing_at_provider", "PA-203")]
    assert await posted(conn, "provider:vnpay:clearing", "treasury:MOH") == {
        "provider:vnpay:clearing": 70_000, "treasury:MOH": 30_000}
    # The day after, nothing of either is judged again.
    third = await reconcile(conn, AFTER, settlement_file(tmp_path / "after.csv", AFTER, []))
    assert await classes(conn, third) == {}


async def test_a_line_whose_payment_is_booked_after_its_run_is_matched_late_and_remitted_once(conn, tmp_path):
    await open_books(conn)
    day_file = settlement_file(tmp_path / "day.csv", DAY, [("PA-205", "payment", 100_000, at(23, 59))])
    first = await reconcile(conn, DAY, day_file, settlement_statement(tmp_path / "day.xml", DAY, 100_000))
    assert await classes(conn, first) == {"PA-205": "missing_in_ledger"}
    assert first.status is RunStatus.COMPLETED and first.totals["remitted_minor"] == 0
    assert await posted(conn, "suspense") == {"suspense": 100_000}
    # Its callback comes the next morning: the gateway books it then.
    await book_payments(conn, [("PA-205", "MOJ", 100_000, at(8, 0, NEXT))])
    next_file = settlement_file(tmp_path / "next.csv", NEXT, [])
    second = await reconcile(conn, NEXT, next_file)
    assert await classes(conn, second) == {}  # not missing at the provider: the day's file settled it
    [found] = await list_exceptions(conn, DAY, status=None)
    assert (found.status, found.resolution) == ("resolved", Resolution.LATE_BOOKING)
    [event] = await exception_history(conn, found.id)
    assert event.actor == "reconciliation" and event.details["carried"] == {"MOJ": 100_000}
    assert second.status is RunStatus.COMPLETED and second.totals["remitted_minor"] == 100_000
    assert await posted(conn, "suspense", "provider:vnpay:clearing", "agency:MOJ:payable", "treasury:MOJ") == {
        "suspense": 0, "provider:vnpay:clearing": 0, "agency:MOJ:payable": 0, "treasury:MOJ": 100_000}
    transfers = (await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone())[0]
    await reconcile(conn, NEXT, next_file)
    await reconcile(conn, DAY, day_file, settlement_statement(tmp_path / "day.xml", DAY, 100_000))
    await reconcile(conn, AFTER, settlement_file(tmp_path / "after.csv", AFTER, []))
    assert (await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone())[0] == transfers
    assert await ledger.verify_ledger(conn) == []


async def test_money_settled_after_the_days_remittance_goes_to_a_later_one_once(conn, database_url, tmp_path):
    await book_every_class_day(conn)
    day = await reconcile(conn, DAY, DATA / "every_class.csv", DATA / "every_class_statement.xml",
                          FakeProvider({"PA-105": 50_000}))
    assert day.status is RunStatus.COMPLETED
    before = await posted(conn, "treasury:MOH", "treasury:MOJ")
    queue = {e.attempt_ref: e for e in await list_exceptions(conn, DAY)}
    # PA-106's callback was lost; the provider answers now, and the gateway books it to MOH.
    await resolve_exception(conn, queue["PA-106"].id, Resolution.RE_QUERY, actor="lan", reason="paid late",
                            recovery=FakeProvider({"PA-106": 70_000}).recovery)
    # PA-103 (the ledger's 120 000 for MOH, the provider's 119 000) is matched by hand.
    await resolve_exception(conn, queue["PA-103"].id, Resolution.MANUAL_MATCH, actor="lan", reason="short by 1 000")
    assert (await agency_settlement(conn, "MOH", "VND")).settled_minor == 200_000 + 70_000 + 120_000
    # Two later runs at once (the next days, each with nothing of its own): one takes it.
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as other:
        await asyncio.gather(reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, [])),
                             reconcile(other, AFTER, settlement_file(tmp_path / "after.csv", AFTER, [])))
    assert await posted(conn, "treasury:MOH", "treasury:MOJ") == {
        "treasury:MOH": before["treasury:MOH"] + 190_000, "treasury:MOJ": before["treasury:MOJ"]}
    remitted = await (await conn.execute(
        "SELECT r.business_day, m.agency, m.amount_minor FROM recon.remittances m JOIN recon.runs r ON r.id = m.run_id"
        " WHERE r.business_day > %s", (DAY,))).fetchall()
    [(later_day, agency, amount_minor)] = remitted
    assert (agency, amount_minor) == ("MOH", 190_000)
    report = await reports.build_report(conn, later_day)
    [line] = report.providers[0].agencies
    assert (line.agency, line.settled_minor, line.brought_forward_minor, line.remitted_minor,
            line.carried_forward_minor) == ("MOH", 0, 190_000, 190_000, 0)
    moh = await agency_settlement(conn, "MOH", "VND")
    assert moh.settled_minor == moh.remitted_minor == before["treasury:MOH"] + 190_000
    await reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, []))
    assert (await posted(conn, "treasury:MOH"))["treasury:MOH"] == before["treasury:MOH"] + 190_000
    assert await ledger.verify_ledger(conn) == []


async def test_refunds_beyond_a_days_payments_are_carried_into_the_agencys_next_remittance(conn, tmp_path):
    await open_books(conn)
    # PA-300 (MOJ) was booked the day before, and its provider settles it only on the next day.
    await book_payments(conn, [("PA-300", "MOJ", 100_000, at(10, 0, DAY - timedelta(days=1))),
                               ("PA-302", "MOH", 80_000, at(9, 0))])
    await book_refund(conn, "RF-301", "MOJ", 50_000)
    day = await reconcile(conn, DAY, settlement_file(tmp_path / "day.csv", DAY, [
        ("PA-302", "payment", 80_000, at(9, 0)), ("RF-301", "refund", 50_000, at(16, 0))]),
        settlement_statement(tmp_path / "day.xml", DAY, 30_000))
    assert day.status is RunStatus.COMPLETED and day.totals["remitted_minor"] == 80_000
    [moh, moj] = (await reports.build_report(conn, DAY)).providers[0].agencies
    assert (moj.agency, moj.settled_minor, moj.remitted_minor, moj.carried_forward_minor) == (
        "MOJ", -50_000, 0, -50_000)
    assert (moh.agency, moh.remitted_minor) == ("MOH", 80_000)
    assert (await agency_settlement(conn, "MOJ", "VND")).settled_minor == -50_000
    # MOJ's next settlement pays back what was carried: only the rest is remitted.
    next_day = await reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, [
        ("PA-300", "payment", 100_000, at(10, 0, DAY - timedelta(days=1)))]),
        settlement_statement(tmp_path / "next.xml", NEXT, 100_000))
    assert next_day.status is RunStatus.COMPLETED and next_day.totals["remitted_minor"] == 50_000
    [moj] = (await reports.build_report(conn, NEXT)).providers[0].agencies
    assert (moj.settled_minor, moj.brought_forward_minor, moj.remitted_minor, moj.carried_forward_minor) == (
        100_000, -50_000, 50_000, 0)
    assert await posted(conn, "treasury:MOJ", "agency:MOJ:payable", "treasury:MOH") == {
        "treasury:MOJ": 50_000, "agency:MOJ:payable": 0, "treasury:MOH": 80_000}
    moj_settlement = await agency_settlement(conn, "MOJ", "VND")
    assert moj_settlement.settled_minor == moj_settlement.remitted_minor == 50_000
    negative = await (await conn.execute("SELECT count(*) FROM recon.remittances WHERE amount_minor <= 0")).fetchone()
    assert negative == (0,)
    assert await ledger.verify_ledger(conn) == []


async def test_a_day_of_more_refunds_than_payments_completes_on_the_banks_debit(conn, tmp_path):
    await open_books(conn)
    # PA-310 (MOJ) was booked the day before and is settled only on the next day; the day
    # itself has one refund and no payment, so VNPAY takes its net back from our account.
    await book_payments(conn, [("PA-310", "MOJ", 100_000, at(10, 0, DAY - timedelta(days=1)))])
    await book_refund(conn, "RF-311", "MOJ", 50_000)
    day_file = settlement_file(tmp_path / "day.csv", DAY, [("RF-311", "refund", 50_000, at(16, 0))])
    credited = await reconcile(conn, DAY, day_file, settlement_statement(tmp_path / "wrong.xml", DAY, 50_000))
    assert credited.status is RunStatus.AWAITING_STATEMENT  # a credit of the amount is not the debit
    assert [e.match_class for e in await list_exceptions(conn, DAY)] == ["bank_debit_missing"]
    day = await reconcile(conn, DAY, day_file, settlement_statement(tmp_path / "day.xml", DAY, -50_000))
    assert day.status is RunStatus.COMPLETED
    assert (day.totals["net_settlement_minor"], day.totals["remitted_minor"]) == (-50_000, 0)
    assert (await posted(conn, "bank:vcb:settlement"))["bank:vcb:settlement"] == -50_000
    next_day = await reconcile(conn, NEXT, settlement_file(tmp_path / "next.csv", NEXT, [
        ("PA-310", "payment", 100_000, at(10, 0, DAY - timedelta(days=1)))]),
        settlement_statement(tmp_path / "next.xml", NEXT, 100_000))
    assert next_day.status is RunStatus.COMPLETED and next_day.totals["remitted_minor"] == 50_000
    assert await ledger.verify_ledger(conn) == []
