"""Finance staff resolve the queue: each resolution posts what it must, once, and leaves
who, when and why in the audit trail; a closed day takes no more postings."""

from __future__ import annotations

import pytest

from golden_books import DATA, DAY, SETUP, FakeProvider, book_every_class_day
from ledger import store as ledger
from providers.errors import ProviderUnavailable
from reconciliation import store
from reconciliation.engine import run_reconciliation
from reconciliation.errors import DayClosed, RunRefused
from reconciliation.exceptions import exception_history, list_exceptions, resolve_exception
from reconciliation.runs import Resolution

EVERY, EVERY_STATEMENT = DATA / "every_class.csv", DATA / "every_class_statement.xml"


@pytest.fixture
async def queue(conn):
    await book_every_class_day(conn)
    await run_reconciliation(conn, SETUP, DAY, EVERY, statement=EVERY_STATEMENT,
                             recovery=FakeProvider({"PA-105": 50_000}).recovery)
    return {e.attempt_ref: e for e in await list_exceptions(conn, DAY)}


async def posted(conn, code):
    return (await ledger.get_balance(conn, code)).posted


async def test_a_manual_match_settles_the_line_against_its_payment(conn, queue):
    before = await posted(conn, "suspense"), await posted(conn, "provider:vnpay:clearing")
    found = await resolve_exception(conn, queue["PA-103"].id, Resolution.MANUAL_MATCH, actor="lan.nguyen",
                                    reason="provider short-paid by 1 000; claim raised")
    assert (found.status, found.resolution) == ("resolved", Resolution.MANUAL_MATCH)
    # The line's 119 000 leaves suspense and relieves clearing; 1 000 stays owed by the provider.
    assert (await posted(conn, "suspense"), await posted(conn, "provider:vnpay:clearing")) == (
        before[0] - 119_000, before[1] - 119_000)
    [event] = await exception_history(conn, found.id)
    assert (event.action, event.actor, event.reason) == ("manual_match", "lan.nguyen",
                                                         "provider short-paid by 1 000; claim raised")
    assert event.details["transfers"] == [f"recon:vnpay:2026-11-21:exception:{found.id}:matched"]


async def test_a_write_off_takes_an_unpaid_payment_out_of_clearing(conn, queue):
    clearing = await posted(conn, "provider:vnpay:clearing")
    await resolve_exception(conn, queue["PA-107"].id, Resolution.WRITE_OFF, actor="lan", reason="provider denies it")
    assert await posted(conn, "provider:vnpay:clearing") == clearing - 60_000


async def test_a_refund_is_on_record_only(conn, queue):
    transfers = await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone()
    found = await resolve_exception(conn, queue["PA-109"].id, Resolution.REFUND, actor="lan", reason="charged twice")
    assert found.status == "resolved"
    assert await (await conn.execute("SELECT count(*) FROM ledger.transfers")).fetchone() == transfers


async def test_a_re_query_books_what_the_provider_now_proves(conn, queue):
    silent = FakeProvider()
    still = await resolve_exception(conn, queue["PA-106"].id, Resolution.RE_QUERY, actor="lan", reason="ask again",
                                    recovery=silent.recovery)
    assert still.status == "open"

    class Down(FakeProvider):
        async def query_status(self, provider, attempt_ref):
            raise ProviderUnavailable("timeout")

    await resolve_exception(conn, queue["PA-106"].id, Resolution.RE_QUERY, actor="lan", reason="ask again",
                            recovery=Down().recovery)
    suspense = await posted(conn, "suspense")
    found = await resolve_exception(conn, queue["PA-106"].id, Resolution.RE_QUERY, actor="minh", reason="paid late",
                                    recovery=FakeProvider({"PA-106": 70_000}).recovery)
    assert found.status == "resolved"
    # Booked by the gateway to its agency: the line's money leaves suspense for clearing.
    assert await posted(conn, "suspense") == suspense - 70_000
    assert await posted(conn, "agency:MOH:payable") >= 70_000
    assert await (await conn.execute(
        "SELECT count(*) FROM ledger.transfers WHERE external_ref = 'PA-106' AND kind = 'payment'")).fetchone() == (1,)
    trail = await exception_history(conn, found.id)
    assert [(e.actor, "status" in e.details, "query_failed" in e.details) for e in trail] == [
        ("lan", True, False), ("lan", False, True), ("minh", True, False)]
    with pytest.raises(RunRefused, match="already resolved"):
        await resolve_exception(conn, found.id, Resolution.REFUND, actor="lan", reason="again")
    assert await ledger.verify_ledger(conn) == []


async def test_a_day_closes_only_when_done_and_then_takes_no_postings(conn, queue):
    with pytest.raises(DayClosed, match="5 exception"):
        await store.close_day(conn, DAY, actor="lan", reason="end of day")
    for exception in queue.values():
        await resolve_exception(conn, exception.id, Resolution.REFUND, actor="lan", reason="settled by hand")
    await store.close_day(conn, DAY, actor="lan", reason="end of day")
    with pytest.raises(DayClosed):
        await run_reconciliation(conn, SETUP, DAY, EVERY, recovery=FakeProvider().recovery)
    async with conn.transaction():
        with pytest.raises(DayClosed):
            await store.refuse_if_closed(conn, DAY)


async def test_a_payment_the_gateway_refused_for_its_amount_is_reported_as_that(conn):
    await book_every_class_day(conn)
    # PA-106's attempt asked 80 000; the provider took 70 000, so the gateway refused it.
    run = await run_reconciliation(conn, SETUP, DAY, EVERY, statement=EVERY_STATEMENT,
                                   recovery=FakeProvider({"PA-105": 50_000}, refused={"PA-106": 80_000}).recovery)
    assert (run.counts["amount_mismatch_refused"], run.counts.get("missing_in_ledger", 0)) == (1, 0)
    [found] = [e for e in await list_exceptions(conn, DAY) if e.attempt_ref == "PA-106"]
    assert found.match_class == "amount_mismatch_refused" and found.evidence["ledger"] is None
    assert (found.evidence["line"]["amount_minor"], found.evidence["attempt"]["amount_minor"]) == (70_000, 80_000)
    assert found.evidence["attempt"]["flag"] == "amount_mismatch"
    # Its money waits in suspense; a manual match is on record only (the ledger has no payment).
    suspense = await posted(conn, "suspense")
    resolved = await resolve_exception(conn, found.id, Resolution.MANUAL_MATCH, actor="lan",
                                       reason="payer paid short; agency asked to refund")
    assert resolved.status == "resolved" and await posted(conn, "suspense") == suspense
    booked = await (await conn.execute("SELECT count(*) FROM ledger.transfers WHERE external_ref = 'PA-106'")).fetchone()
    assert booked == (0,)


async def test_staff_cannot_choose_a_runs_own_resolution(conn, queue):
    with pytest.raises(RunRefused, match="not to choose"):
        await resolve_exception(conn, queue["PA-106"].id, Resolution.LATE_BOOKING, actor="lan", reason="it came")
