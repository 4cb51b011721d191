"""A Checkout Session's hosted page in Chromium against the real server: an agency creates the
session through the API, the citizen opens its ``url``, sees what they pay for, pays at a
sandbox provider and lands on the agency's success_url; or goes back by its cancel link; or
finds it expired or already paid, said plainly."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.gateway.checkout.conftest import Visit
from tests.gateway.checkout.test_checkout_journeys import check_receipt_shown

AGENCY = "BTP"  # in the catalogue: the page names it (Bộ Tư pháp)
ITEMS = [
    {"price_data": {"currency": "vnd", "unit_amount": 25_000,
                    "product_data": {"name": "Bản sao trích lục hộ tịch"}}, "quantity": 2},
    {"price_data": {"currency": "vnd", "unit_amount": 30_000, "product_data": {"name": "Phí chuyển phát"}},
     "quantity": 1},
]


class AgencySite(BaseHTTPRequestHandler):
    """The agency's own site, where success_url and cancel_url lead: another origin than ours."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = f"<!doctype html><html lang=vi><title>Agency</title><h1>{self.path}</h1>".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def agency_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), AgencySite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def agency_client(stripe_client, new_secret) -> stripe.StripeClient:
    return stripe_client(new_secret(AGENCY))


def new_session(client: stripe.StripeClient, agency_site: str, **params) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(params={
        "mode": "payment", "line_items": ITEMS, "success_url": f"{agency_site}/paid?cs={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{agency_site}/cart", "payer": "Trần Thị Bình", "client_reference_id": "HS-7781",
        "metadata": {"officer": "nguyen.van.c"}, **params})


def open_session(visit: Visit, session: stripe.checkout.Session) -> None:
    visit.page.goto(session.url)


def continue_to_agency(visit: Visit, url: str) -> None:
    """Once paid, the page goes on to the agency's site by itself; without JavaScript the
    citizen follows its link."""
    if not visit.javascript:
        visit.page.get_by_role("heading", name="Khoản này đã được thanh toán").wait_for()
        visit.step("paid")
        visit.page.get_by_role("link", name="Quay lại trang của cơ quan thu").click()
    visit.page.wait_for_url(url)


def main_text(visit: Visit) -> str:
    return visit.page.locator("main").inner_text().replace("\u00a0", " ")


def test_pay_a_session_and_land_on_the_agencys_success_url(visit: Visit, agency_client, agency_site) -> None:
    session = new_session(agency_client, agency_site)
    open_session(visit, session)
    visit.step("session")
    page = visit.page
    text = main_text(visit)
    assert "Bộ Tư pháp" in text and "Bản sao trích lục hộ tịch" in text and "Phí chuyển phát" in text
    assert "80.000 ₫" in text and "Tám mươi nghìn đồng" in text
    # Only what the agency put in the session for the payer to see: not who pays, nor its references.
    for private in ("Trần Thị Bình", "HS-7781", "nguyen.van.c"):
        assert private not in page.content()
    visit.submit(re.compile("^Thanh toán 80.000"))
    page.get_by_role("heading", name="Chọn cách thanh toán").wait_for()
    page.fill("#payer", "Trần Thị Bình")
    page.locator("input[name=method][value=vnpay]").check()
    visit.step("choose-how-to-pay")
    visit.submit(re.compile("^Thanh toán"))
    assert "/sandbox/vnpay/" in page.url
    page.locator("button[value=success]").click()
    continue_to_agency(visit, f"{agency_site}/paid?cs={session.id}")
    paid = agency_client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    # The link again, later: it says the payment is complete, and leads back to the agency.
    open_session(visit, session)
    visit.step("already-paid")
    assert page.get_by_role("heading", level=1).inner_text() == "Khoản này đã được thanh toán"
    assert page.get_by_role("button", name=re.compile("^Thanh toán")).count() == 0


def test_a_test_card_payment_lands_on_the_success_url_too(desktop: Visit, agency_client, agency_site) -> None:
    session = new_session(agency_client, agency_site)
    open_session(desktop, session)
    desktop.submit(re.compile("^Thanh toán 80.000"))
    desktop.page.locator("input[name=method][value=card]").check()
    desktop.submit(re.compile("^Thanh toán"))
    continue_to_agency(desktop, f"{agency_site}/paid?cs={session.id}")


def test_the_cancel_link_goes_back_to_the_agency(phone: Visit, agency_client, agency_site) -> None:
    session = new_session(agency_client, agency_site)
    open_session(phone, session)
    phone.page.get_by_role("link", name="Huỷ, quay lại trang của cơ quan thu").click()
    phone.page.wait_for_url(f"{agency_site}/cart")
    assert agency_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_an_expired_session_says_so_in_both_languages(phone: Visit, agency_client, agency_site) -> None:
    session = new_session(agency_client, agency_site)
    open_session(phone, session)
    agency_client.v1.checkout.sessions.expire(session.id)
    phone.submit(re.compile("^Thanh toán 80.000"))  # the page was open before it expired
    phone.step("expired-on-pay")
    page = phone.page
    assert page.get_by_role("heading", level=1).inner_text() == "Liên kết thanh toán đã hết hạn"
    assert "Phí chuyển phát" not in main_text(phone)
    page.get_by_role("link", name="English").click()
    phone.step("expired-in-english")
    assert page.get_by_role("heading", level=1).inner_text() == "This payment link has expired"
    assert page.get_by_role("link", name="Go back to the agency's site").get_attribute("href") == f"{agency_site}/cart"


def test_an_unknown_session_is_the_not_found_page(phone: Visit) -> None:
    phone.goto("/checkout/sessions/cs_test_nobodys")
    phone.step("not-found")
    assert phone.page.get_by_role("heading", level=1).inner_text() == "Không tìm thấy trang"


def test_an_agency_not_in_the_catalogue_is_named_by_its_code_from_session_to_receipt(
        phone: Visit, stripe_client, new_secret, agency_site) -> None:
    uncatalogued = "TTTHUNGHIEM"  # has API keys, but no entry in the catalogue (yet)
    client = stripe_client(new_secret(uncatalogued))
    session = new_session(client, agency_site)
    open_session(phone, session)
    phone.step("uncatalogued-session")
    assert uncatalogued in main_text(phone)
    phone.submit(re.compile("^Thanh toán 80.000"))
    page = phone.page
    page.get_by_role("heading", name="Chọn cách thanh toán").wait_for()
    phone.step("uncatalogued-choose-how-to-pay")
    assert uncatalogued in main_text(phone)
    page.fill("#payer", "Trần Thị Bình")
    page.locator("input[name=method][value=card]").check()
    phone.submit(re.compile("^Thanh toán"))
    continue_to_agency(phone, f"{agency_site}/paid?cs={session.id}")
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    phone.goto(f"/receipts/{session.payment_intent}")
    check_receipt_shown(phone, "80.000 ₫", uncatalogued, "Tám mươi nghìn đồng")
