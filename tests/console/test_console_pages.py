"""The console's pages over HTTP on a real database, with real runs of the golden days."""

from __future__ import annotations

import csv
import io
import json

from gateway.console.roles import Role
from ledger import store as ledger
from reconciliation.exceptions import exception_history, list_exceptions
from tests.console.console_browser import (
    console_app, post_form, reconcile_clean_day, reconcile_every_class_day,
)
from tests.console.staffing import PASSWORD, add_staff
from tests.reconciliation.golden_books import DAY


async def test_sign_in_lands_on_the_role_s_page_with_a_strict_cookie_and_sign_out_ends_it(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        officer = await add_staff(conn, Role.OFFICER)
        async with console.browser() as browser:
            refused = await post_form(browser, "/console/login", {"email": officer.email, "password": "wrong"})
            assert refused.status_code == 400 and "không đúng" in refused.text
            signed_in = await post_form(browser, "/console/login", {"email": officer.email.upper(),
                                                                     "password": PASSWORD,
                                                                     "next": "/console/exceptions?status=all"})
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/exceptions?status=all"
            cookie = signed_in.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
            page = await browser.get("/console/runs")
            assert page.status_code == 200 and officer.email in page.text
            assert "default-src 'none'" in page.headers["content-security-policy"]

            signed_out = await post_form(browser, "/console/logout", {}, token_from="/console/runs")
            assert signed_out.status_code == 303 and "max-age=0" in signed_out.headers["set-cookie"].lower()
            assert (await browser.get("/console/runs")).status_code == 303


async def test_sign_in_never_leads_off_the_console(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        auditor = await add_staff(conn, Role.AUDITOR)
        async with console.browser() as browser:
            for target in ("https://evil.example/", "//evil.example/console/", "/receipts/check"):
                answer = await post_form(browser, "/console/login", {"email": auditor.email, "password": PASSWORD,
                                                                      "next": target})
                assert answer.headers["location"] == "/console/runs"


async def test_strangers_are_sent_to_sign_in_and_come_back(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        async with console.browser() as browser:
            for path in ("/console/runs?day=2026-11-21", "/console/exceptions/1", "/console/ledger", "/console/staff",
                         "/console/audit", "/console/runs/1/report.json"):
                answer = await browser.get(path)
                assert answer.status_code == 303, path
                assert answer.headers["location"].startswith("/console/login?next=/console/")
            answer = await post_form(browser, "/console/exceptions/1/resolve", {"action": "refund", "reason": "x"})
            assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
            assert (await browser.get("/console/login?next=/console/ledger")).status_code == 200


async def test_a_run_s_page_shows_its_report_charts_and_downloads(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        run = await reconcile_every_class_day(conn)
        async with console.signed_in(Role.AUDITOR) as (browser, _):
            listed = await browser.get(f"/console/runs?day={DAY.isoformat()}&provider=vnpay")
            assert f'href="/console/runs/{run.id}"' in listed.text
            page = await browser.get(f"/console/runs/{run.id}")
            assert page.status_code == 200
            assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
            for title in ("Số giao dịch theo ngày và đơn vị thanh toán", "Tỷ lệ khớp",
                          "Chênh lệch theo nguyên nhân",
                          "Lệch số tiền", "MOJ", "treasury:MOJ"):
                assert title in page.text

            report = json.loads((await browser.get(f"/console/runs/{run.id}/report.json")).content)
            [part] = report["providers"]
            assert part["run"]["counts"] == run.counts and len(part["exceptions"]) > 0
            figures = list(csv.reader(io.StringIO((await browser.get(f"/console/runs/{run.id}/csv/report")).text)))
            assert figures[0] == ["provider", "agency", "figure", "value"]
            assert ["vnpay", "", "count:lines", str(run.counts["lines"])] in figures
            exceptions = (await browser.get(f"/console/runs/{run.id}/csv/exceptions")).text
            assert exceptions.startswith("id,provider,class") and "PA-103" in exceptions
            remitted = await browser.get(f"/console/runs/{run.id}/csv/remittances")
            assert remitted.headers["content-disposition"].startswith("attachment;") and "treasury:MOJ" in remitted.text
            assert (await browser.get(f"/console/runs/{run.id}/csv/passwords")).status_code == 404
            assert (await browser.get("/console/runs/999999")).status_code == 404


async def test_remittances_and_the_treasury_file(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_clean_day(conn)
        async with console.signed_in(Role.OFFICER) as (browser, _):
            days = await browser.get("/console/remittances")
            assert f"/console/remittances/{DAY.isoformat()}/treasury.csv" in days.text
            page = await browser.get(f"/console/remittances/{DAY.isoformat()}")
            assert "treasury:MOJ" in page.text and "treasury:MOH" in page.text
            rows = list(csv.DictReader(io.StringIO((await browser.get(
                f"/console/remittances/{DAY.isoformat()}/treasury.csv")).text)))
            assert {row["treasury_account"] for row in rows} == {"treasury:MOJ", "treasury:MOH"}
            assert all(row["business_day"] == DAY.isoformat() for row in rows)


async def test_an_officer_writes_off_an_exception_and_the_ledger_and_trail_show_it(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_every_class_day(conn)
        unpaid = next(e for e in await list_exceptions(conn, DAY) if e.attempt_ref == "PA-107")
        clearing = (await ledger.get_balance(conn, "provider:vnpay:clearing")).posted
        async with console.signed_in(Role.OFFICER) as (browser, officer):
            page = await browser.get(f"/console/exceptions/{unpaid.id}")
            assert "Thiếu ở đơn vị thanh toán" in page.text and "PA-107" in page.text and "60000" in page.text
            no_reason = await post_form(browser, f"/console/exceptions/{unpaid.id}/resolve", {"action": "write_off"},
                                        token_from=f"/console/exceptions/{unpaid.id}")
            assert no_reason.status_code == 400 and "Nhập lý do" in no_reason.text
            done = await post_form(browser, f"/console/exceptions/{unpaid.id}/resolve",
                                   {"action": "write_off", "reason": "VNPAY denies the payment"},
                                   token_from=f"/console/exceptions/{unpaid.id}")
            assert done.status_code == 303
            again = await post_form(browser, f"/console/exceptions/{unpaid.id}/resolve",
                                     {"action": "refund", "reason": "twice"},
                                     token_from=f"/console/exceptions/{unpaid.id}")
            assert again.status_code == 409 and "already resolved" in again.text
            audit = (await browser.get("/console/audit")).text
        assert (await ledger.get_balance(conn, "provider:vnpay:clearing")).posted == clearing - 60_000
        [event] = await exception_history(conn, unpaid.id)
        assert (event.action, event.actor, event.reason) == ("write_off", officer.email, "VNPAY denies the payment")
        assert officer.email in audit and "VNPAY denies the payment" in audit


async def test_a_re_query_the_provider_cannot_answer_leaves_the_exception_open_on_record(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_every_class_day(conn)
        unknown = next(e for e in await list_exceptions(conn, DAY) if e.attempt_ref == "PA-106")
        async with console.signed_in(Role.OFFICER) as (browser, _):
            answer = await post_form(browser, f"/console/exceptions/{unknown.id}/resolve",
                                     {"action": "re_query", "reason": "ask VNPAY again"},
                                     token_from="/console/exceptions")
            assert answer.status_code == 303
            page = await browser.get(f"/console/exceptions/{unknown.id}")
        assert "chưa xử lý" in page.text and "đơn vị thanh toán không trả lời" in page.text
        [event] = await exception_history(conn, unknown.id)
        assert "no payment attempt" in event.details["query_failed"]


async def test_an_officer_closes_a_reconciled_day(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_clean_day(conn)
        async with console.signed_in(Role.OFFICER) as (browser, officer):
            day_page = f"/console/runs?day={DAY.isoformat()}"
            closed = await post_form(browser, f"/console/days/{DAY.isoformat()}/close", {"reason": "all matched"},
                                     token_from=day_page)
            assert closed.status_code == 303
            assert f"Ngày đã khoá sổ bởi {officer.email}: all matched" in (await browser.get(day_page)).text
        actions = await (await conn.execute("SELECT actor, action, target FROM gateway.staff_audit"
                                            " WHERE action = 'day_closed' ORDER BY id")).fetchall()
        assert actions[0] == (officer.email, "day_closed", f"day:{DAY.isoformat()}")


async def test_a_day_with_open_exceptions_cannot_be_closed(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_every_class_day(conn)
        async with console.signed_in(Role.OFFICER) as (browser, _):
            refused = await post_form(browser, f"/console/days/{DAY.isoformat()}/close", {"reason": "end of day"},
                                      token_from="/console/runs")
        assert refused.status_code == 409 and "Chưa thể khoá sổ" in refused.text
        assert (await (await conn.execute("SELECT count(*) FROM recon.closed_days")).fetchone())[0] == 0


async def test_the_ledger_pages_list_balances_and_page_through_a_statement(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        await reconcile_every_class_day(conn)
        async with console.signed_in(Role.AUDITOR) as (browser, _):
            balances = (await browser.get("/console/ledger")).text
            assert "suspense" in balances and "provider:vnpay:clearing" in balances
            statement = await browser.get("/console/ledger/statement", params={"account": "agency:MOJ:payable"})
            assert statement.status_code == 200 and "PA-101" in statement.text
            later = await browser.get("/console/ledger/statement", params={"account": "agency:MOJ:payable",
                                                                            "after_seq": "100000"})
            assert "Không có bút toán nào" in later.text
            assert (await browser.get("/console/ledger/statement", params={"account": "nope"})).status_code == 404


async def test_pages_read_in_english_too(database_url, conn, tmp_path):
    async with console_app(database_url, conn, tmp_path) as console:
        async with console.signed_in(Role.OFFICER) as (browser, _):
            browser.cookies.set("lang", "en")
            page = (await browser.get("/console/runs")).text
        assert '<html lang="en">' in page and "Finance console" in page and "Reconciliation runs" in page
