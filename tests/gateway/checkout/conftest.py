"""Browser tests of the hosted checkout: Debian's Chromium driven by Playwright against the
real ``publicpay serve`` of the API tests (tests/gateway/conftest.py), with its provider
sandboxes. One browser for these tests; a new context (cookies, viewport) per test.

Each test runs as a client address of its own (``X-Forwarded-For``, which uvicorn trusts
from loopback), so the look-up limit counts each test apart. Screenshots of every step go
to test-artifacts/checkout/<test>/ (git-ignored)."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import string
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from catalogue.billers.sandbox import NewBill, SandboxFixtures, add_sandbox_fixtures
from catalogue.model import DossierStatus, Household
from catalogue.procedures import advance_dossier, request_payment, submit_dossier
from tests.gateway.checkout.page_checks import check_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parents[3] / "test-artifacts" / "checkout"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
VIEWPORTS = {"phone": (PHONE, True), "desktop": (DESKTOP, True), "phone-nojs": (PHONE, False)}
PAID_TIMEOUT_S = 30
_addresses = itertools.count(1)


# Module scope, not session: Playwright's sync API runs an event loop in this thread while
# it is open, and the async tests that pytest runs after these must find none running.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class Visit:
    """One citizen's browser on one viewport: steps are screenshotted and checked."""

    def __init__(self, context: BrowserContext, base_url: str, directory: Path, javascript: bool) -> None:
        self.context, self.base_url, self.directory, self.javascript = context, base_url, directory, javascript
        self.page = context.new_page()
        self.csp_violations: list[str] = []
        self.page.on("console", lambda message: self.csp_violations.append(message.text)
                     if "Content Security Policy" in message.text else None)
        self._steps = itertools.count(1)

    def goto(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def step(self, name: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.directory / f"{next(self._steps):02d}-{name}.png", full_page=True)
        check_page(self.page, javascript=self.javascript)
        assert not self.csp_violations, self.csp_violations

    def submit(self, name: str | re.Pattern[str]) -> None:
        self.page.get_by_role("button", name=name).first.click()

    def wait_until_paid(self) -> None:
        """With JavaScript, the status page updates itself; without, the citizen uses its
        refresh button."""
        paid = self.page.get_by_role("heading", name="Thanh toán thành công")
        if self.javascript:
            paid.wait_for(timeout=PAID_TIMEOUT_S * 1000)
            return
        deadline = time.monotonic() + PAID_TIMEOUT_S
        while not paid.count():
            assert time.monotonic() < deadline, f"not paid after {PAID_TIMEOUT_S} s: {self.page.url}"
            self.page.get_by_role("link", name="Cập nhật tình trạng").click()
            time.sleep(0.3)


def new_visit(chromium: Browser, api_url: str, request: pytest.FixtureRequest, viewport: str) -> Visit:
    options, javascript = VIEWPORTS[viewport]
    context = chromium.new_context(**options, java_script_enabled=javascript, accept_downloads=True,
                                   extra_http_headers={"X-Forwarded-For": f"10.77.{next(_addresses) % 250}.{random.randint(1, 250)}"})
    request.addfinalizer(context.close)
    return Visit(context, api_url, ARTIFACTS / request.node.originalname / viewport, javascript)


@pytest.fixture(params=list(VIEWPORTS))
def visit(request: pytest.FixtureRequest, chromium: Browser, api_url: str) -> Visit:
    """The journey on a phone, on a desktop, and on a phone with JavaScript off."""
    return new_visit(chromium, api_url, request, request.param)


@pytest.fixture
def phone(request: pytest.FixtureRequest, chromium: Browser, api_url: str) -> Visit:
    return new_visit(chromium, api_url, request, "phone")


@pytest.fixture
def phone_without_javascript(request: pytest.FixtureRequest, chromium: Browser, api_url: str) -> Visit:
    return new_visit(chromium, api_url, request, "phone-nojs")


@pytest.fixture
def desktop(request: pytest.FixtureRequest, chromium: Browser, api_url: str) -> Visit:
    return new_visit(chromium, api_url, request, "desktop")


# ---------------------------------------------------------------- what citizens owe

def _random(alphabet: str, length: int) -> str:
    return "".join(random.choices(alphabet, k=length))


class Sandbox:
    """Fresh bills, decisions, households and dossiers for each test, in the server's
    database, through the catalogue's own functions (as the demo data is loaded)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _run(self, work: Callable[[psycopg.AsyncConnection], Awaitable[Any]]) -> Any:
        async def run() -> Any:
            async with await psycopg.AsyncConnection.connect(self.database_url, autocommit=True) as conn:
                return await work(conn)

        with ThreadPoolExecutor(1) as pool:  # pytest-asyncio may own this thread's loop
            return pool.submit(asyncio.run, run()).result()

    def add(self, fixtures: SandboxFixtures) -> None:
        self._run(lambda conn: add_sandbox_fixtures(conn, fixtures))

    def fine(self, amount_minor: int = 5_000_000) -> NewBill:
        plate = f"88C{_random(string.digits, 5)}"
        decision = NewBill(biller="csgt", reference=f"{_random(string.digits, 7)}/QĐ-XPVPHC", subject=plate,
                           description="Ô tô chạy quá tốc độ 15 km/h", amount_minor=amount_minor,
                           due_date=date.today() + timedelta(days=20), violation_code="ND168-D6-K5-DD")
        self.add(SandboxFixtures(bills=[decision]))
        return decision

    def electricity(self, amounts: dict[int, int] | None = None) -> list[NewBill]:
        """A new customer's unpaid bills: an amount for each month of 2025, May and June by default."""
        amounts = amounts or {5: 412_350, 6: 389_900}
        customer = f"PT{_random(string.ascii_uppercase + string.digits, 11)}"
        bills = [NewBill(biller="evn", reference=f"{customer}-2025{month:02d}", subject=customer,
                         description=f"Tiền điện kỳ {month:02d}/2025", period=f"2025-{month:02d}",
                         amount_minor=amount, due_date=date(2025, month + 1, 10))
                 for month, amount in amounts.items()]
        self.add(SandboxFixtures(bills=bills))
        return bills

    def household(self, members: int) -> Household:
        household = Household(social_insurance_number=_random(string.digits, 10), head_name="Lê Văn Cường",
                              members=members, coverage_end=date.today() + timedelta(days=10))
        self.add(SandboxFixtures(households=[household]))
        return household

    def dossier_awaiting_payment(self, service_code: str = "BCA-GPLX-DOI") -> tuple[str, str]:
        async def work(conn: psycopg.AsyncConnection) -> tuple[str, str]:
            # The server is a sandbox one: its citizens' dossiers are test-mode ones.
            submitted = await submit_dossier(conn, service_code, applicant_name="Phạm Thị Dung",
                                             contact="0912345678", fields={}, livemode=False)
            for status in (DossierStatus.RECEIVED, DossierStatus.IN_PROGRESS):
                await advance_dossier(conn, submitted.dossier.code, status, actor="officer", livemode=False)
            await request_payment(conn, submitted.dossier.code, actor="officer", livemode=False)
            return submitted.dossier.code, submitted.tracking_secret

        return self._run(work)


@pytest.fixture(scope="session")
def sandbox(api_url: str, api_database_url: str) -> Sandbox:
    return Sandbox(api_database_url)  # api_url: the server has migrated and seeded the database
