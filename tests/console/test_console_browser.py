"""The console in Debian's Chromium: an officer signs in, reads every section, resolves an
exception with the keyboard and mouse, and signs out; every page passes axe-core and the
structural checks of the checkout's browser tests, with no Content-Security-Policy
complaint. The app runs under a real uvicorn on a loopback port, on this test's database.

Synchronous, like the checkout's browser tests: Playwright's sync API runs its own event
loop in this thread while it is open, so the database is seeded from another thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import uvicorn
from playwright.sync_api import sync_playwright

from gateway.app import create_app
from gateway.console.roles import Role
from gateway.settings import Settings
from reconciliation.exceptions import list_exceptions
from tests.console.console_browser import reconcile_every_class_day
from tests.console.staffing import PASSWORD, add_staff
from tests.gateway.checkout.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP
from tests.gateway.checkout.page_checks import check_page
from tests.reconciliation.golden_books import DAY

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "console"
STARTUP_TIMEOUT_S = 15


def seed(database_url: str) -> tuple[str, int, int]:
    """The golden day reconciled and an officer: (officer's email, run id, an exception's id)."""

    async def work() -> tuple[str, int, int]:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            run = await reconcile_every_class_day(conn)
            officer = await add_staff(conn, Role.OFFICER)
            unpaid = next(e for e in await list_exceptions(conn, DAY) if e.attempt_ref == "PA-107")
            return officer.email, run.id, unpaid.id

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()


@contextmanager
def served(database_url: str, home: Path) -> Iterator[str]:
    app = create_app(Settings(database_url=database_url, home=str(home), web_secret="console browser test"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the console's server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)


def test_an_officer_s_day_in_the_browser(database_url, tmp_path) -> None:
    email, run_id, exception_id = seed(database_url)
    with served(database_url, tmp_path) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(**DESKTOP).new_page()
        complaints: list[str] = []
        page.on("console", lambda message: complaints.append(message.text))
        shots = iter(range(1, 100))

        def check(name: str) -> None:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"{next(shots):02d}-{name}.png", full_page=True)
            check_page(page, javascript=True)

        try:
            page.goto(f"{base_url}/console/runs/{run_id}")  # a stranger is sent to sign in first
            assert "/console/login" in page.url
            check("login")
            page.get_by_label("Địa chỉ email").fill(email)
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(f"{base_url}/console/runs/{run_id}")
            check("run")
            for name, path in (("runs", "/console/runs"), ("queue", "/console/exceptions"),
                               ("remittances", f"/console/remittances/{DAY.isoformat()}"),
                               ("ledger", "/console/ledger"),
                               ("statement", "/console/ledger/statement?account=provider%3Avnpay%3Aclearing"),
                               ("audit", "/console/audit")):
                page.goto(base_url + path)
                check(name)

            page.goto(f"{base_url}/console/exceptions/{exception_id}")
            page.get_by_role("button", name="Ghi nhận xử lý").click()  # nothing chosen: the errors say so
            check("resolve-errors")
            page.get_by_label("Chuyển vào tài khoản tạm treo").check()
            page.get_by_label("Lý do (ghi vào nhật ký kiểm toán)").fill("VNPAY confirms it never took this payment")
            page.get_by_role("button", name="Ghi nhận xử lý").click()
            page.wait_for_url(f"{base_url}/console/exceptions/{exception_id}")
            assert page.get_by_text("VNPAY confirms it never took this payment").count() == 1
            check("resolved")

            page.get_by_role("button", name="Đăng xuất").click()
            page.wait_for_url(f"{base_url}/console/login")
            page.goto(f"{base_url}/console/runs")
            assert "/console/login" in page.url
        finally:
            browser.close()
    assert not [text for text in complaints if "Content Security Policy" in text], complaints
