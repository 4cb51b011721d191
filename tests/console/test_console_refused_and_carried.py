"""What finance staff see of a payment the gateway refused for its amount (the attempt
beside the provider's line, and no choice of a run's own resolution), and of money a
run carries between remittances."""

from __future__ import annotations

from gateway.console.roles import Role
from reconciliation.engine import run_reconciliation
from reconciliation.exceptions import list_exceptions
from tests.console.console_browser import console_app
from tests.reconciliation.golden_books import DATA, DAY, SETUP, FakeProvider, book_every_class_day


async def test_a_refused_payments_exception_shows_the_attempt_and_staff_resolutions_only(database_url, conn,
                                                                                    tmp_path):
    await book_every_class_day(conn)
    run = await run_reconciliation(conn, SETUP, DAY, DATA / "every_class.csv",
                                   statement=DATA / "every_class_statement.xml",
                                   recovery=FakeProvider({"PA-105": 50_000}, refused={"PA-106": 80_000}).recovery)
    [refused] = [e for e in await list_exceptions(conn, DAY) if e.attempt_ref == "PA-106"]
    async with console_app(database_url, conn, tmp_path) as console:
        async with console.signed_in(Role.OFFICER) as (browser, _):
            browser.cookies.set("lang", "en")
            page = (await browser.get(f"/console/exceptions/{refused.id}")).text
            report = (await browser.get(f"/console/runs/{run.id}")).text
    assert "Amount mismatch: the gateway refused the payment" in page
    assert "The gateway&#39;s refused attempt (what it asked)" in page and "80000" in page and "pi_PA-106" in page
    assert 'value="manual_match"' in page and 'value="late_booking"' not in page
    assert "Brought forward" in report and "Carried forward" in report
