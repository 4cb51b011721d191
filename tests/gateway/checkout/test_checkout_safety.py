"""The checkout's defences, over plain HTTP against the real server: CSRF, the look-up
limit, payments visible only to the browser that started them, no secrets kept in URLs,
security headers, and refusals as pages in plain words."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from gateway.console.roles import Role
from gateway.web.csrf import check_csrf
from gateway.web.security_headers import FILE_HEADERS, HEADERS, content_security_policy
from tests.gateway.app_routes import gateway_app, http_routes
from tests.console.staffing import PASSWORD, add_staff
from tests.gateway.checkout.conftest import Sandbox

_clients = itertools.count(1)


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def summary(html: str) -> list[str]:
    return re.findall(r'<li><a href="#[a-z_]+">(.*?)</a></li>', html)


@pytest.fixture
def citizen(api_url: str) -> Iterator[httpx.Client]:
    """A browser-like client with its own cookies and client address."""
    with httpx.Client(base_url=api_url, timeout=20, headers={"X-Forwarded-For": f"10.88.0.{next(_clients)}"}) as client:
        yield client


def start_fine_payment(client: httpx.Client, sandbox: Sandbox) -> str:
    decision = sandbox.fine()
    token = form_token(client.get("/fines").text)
    answer = client.post("/fines/pay", data={"csrf_token": token, "decision_number": decision.reference,
                                             "expected_minor": str(decision.amount_minor)})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].removeprefix("/pay/")


def test_html_pages_carry_a_strict_policy_and_the_api_is_untouched(citizen: httpx.Client) -> None:
    page = citizen.get("/")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
    api = citizen.get("/v1/catalogue/services")
    assert api.status_code == 200 and "content-security-policy" not in api.headers


def test_a_form_without_its_token_is_refused_with_a_page(citizen: httpx.Client, api_url: str) -> None:
    citizen.get("/fines")
    refused = citizen.post("/fines", data={"lookup": "30A12345"})
    assert refused.status_code == 403 and "Trang đã hết hạn" in refused.text
    # A token from another browser does not fit this browser's cookie.
    with httpx.Client(base_url=api_url) as other:
        stolen = form_token(other.get("/fines").text)
    assert citizen.post("/fines", data={"lookup": "30A12345", "csrf_token": stolen}).status_code == 403


def test_look_ups_past_the_limit_get_a_429_page(citizen: httpx.Client) -> None:
    token = form_token(citizen.get("/fines").text)
    # Ten a minute per server process; the test server runs two.
    answers = [citizen.post("/fines", data={"csrf_token": token, "lookup": "30A99999"}) for _ in range(21)]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, [answer.status_code for answer in answers]
    assert int(refused[0].headers["retry-after"]) >= 1
    assert "Bạn đã tra cứu quá nhiều lần" in refused[0].text


def test_bad_input_gets_plain_words_on_the_same_page(citizen: httpx.Client, sandbox: Sandbox) -> None:
    token = form_token(citizen.get("/fines").text)
    cases = {"": "Nhập số quyết định xử phạt hoặc biển số xe",
             "30A-12": "Biển số xe phải có dạng 30A-123.45",
             "1/QĐ": "Số quyết định phải có dạng 0012345/QĐ-XPVPHC",
             "9999999/QĐ-XPVPHC": "Không tìm thấy khoản nào chưa nộp",
             # a sandbox decision whose amount lies below its violation's legal range
             "0012348/QĐ-XPVPHC": "Quyết định này không thể nộp trực tuyến",
             "x" * 5000: "Biển số xe phải có dạng 30A-123.45"}
    for text, message in cases.items():
        page = citizen.post("/fines", data={"csrf_token": token, "lookup": text})
        assert page.status_code == 400 and any(message in item for item in summary(page.text)), (text, page.text)
        assert 'href="#lookup"' in page.text and "Traceback" not in page.text
    decision = sandbox.fine()
    changed = citizen.post("/fines/pay", data={"csrf_token": token, "decision_number": decision.reference,
                                               "expected_minor": "1"})
    assert changed.status_code == 400 and "Số tiền đã thay đổi" in changed.text


def test_a_bill_not_outstanding_gets_plain_words_and_no_payment(citizen: httpx.Client, sandbox: Sandbox) -> None:
    may, june = sandbox.electricity()
    token = form_token(citizen.get("/electricity").text)
    for reference in (f"{may.subject}-202412", "PD01000067890-202506"):  # none of its bills; another customer's
        page = citizen.post("/electricity/pay", data={"csrf_token": token, "customer_code": may.subject,
                                                      "bill_reference": reference, "expected_minor": "389900"})
        assert page.status_code == 400 and summary(page.text) == ["Hóa đơn này không còn nợ. Hãy tra cứu lại hóa đơn."]
    one = citizen.post("/electricity/pay", data={"csrf_token": token, "customer_code": may.subject,
                                                 "bill_reference": june.reference, "expected_minor": "389900"})
    assert one.status_code == 303 and one.headers["location"].startswith("/pay/pi_")


def test_a_dossier_payment_needs_a_fresh_proof_of_its_secret(citizen: httpx.Client, sandbox: Sandbox) -> None:
    code, secret = sandbox.dossier_awaiting_payment()
    token = form_token(citizen.get("/dossiers/pay").text)
    page = citizen.post("/dossiers/pay", data={"csrf_token": token, "dossier_code": code, "tracking_secret": secret})
    proof = re.search(r'name="proof" value="([^"]+)"', page.text)[1]
    payload, mac = proof.split(".")
    for forged in ("", "x", f"{payload}.{mac[:-2]}xx"):
        refused = citizen.post("/dossiers/pay/start", data={"csrf_token": token, "proof": forged,
                                                            "expected_minor": "135000"})
        assert refused.status_code == 400 and "Trang đã hết hạn" in summary(refused.text)[0]
    started = citizen.post("/dossiers/pay/start", data={"csrf_token": token, "proof": proof,
                                                        "expected_minor": "135000"})
    assert started.status_code == 303 and started.headers["location"].startswith("/pay/pi_")


def test_a_payment_answers_only_to_the_browser_that_started_it(citizen: httpx.Client, api_url: str,
                                                               sandbox: Sandbox) -> None:
    intent_id = start_fine_payment(citizen, sandbox)
    assert citizen.get(f"/pay/{intent_id}").status_code == 200
    with httpx.Client(base_url=api_url) as stranger:
        for path in (f"/pay/{intent_id}", f"/pay/{intent_id}/status", f"/pay/{intent_id}/state",
                     f"/receipts/{intent_id}", f"/receipts/{intent_id}/pdf"):
            page = stranger.get(path)
            assert page.status_code == 404 and "Không tìm thấy trang" in page.text, path
        stranger.cookies.set("payments", citizen.cookies["payments"][:-3] + "abc")  # a forged signature
        assert stranger.get(f"/pay/{intent_id}").status_code == 404


def test_a_receipt_and_a_status_poll_are_neither_sniffed_nor_kept(citizen: httpx.Client, sandbox: Sandbox) -> None:
    intent_id = start_fine_payment(citizen, sandbox)
    page = citizen.get(f"/pay/{intent_id}")
    paid = citizen.post(f"/pay/{intent_id}", data={
        "csrf_token": form_token(page.text), "payer": "Hoàng Văn Em", "method": "card", "test_card": "pm_card_visa",
        "attempt_key": re.search(r'name="attempt_key" value="([^"]+)"', page.text)[1]})
    assert paid.status_code == 303, paid.text
    pdf = citizen.get(f"/receipts/{intent_id}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    state = citizen.get(f"/pay/{intent_id}/state")
    assert state.status_code == 200 and state.json() == {"state": "succeeded"}
    for answer in (pdf, state):
        assert_answered_safely(answer)
    # The same files for everyone are not sniffed either, but cached as they ask.
    style = citizen.get("/static/site.css")
    assert style.headers["x-content-type-options"] == "nosniff" and "max-age" in style.headers["cache-control"]


def test_the_providers_return_leaves_no_secret_in_the_address(citizen: httpx.Client, sandbox: Sandbox) -> None:
    intent_id = start_fine_payment(citizen, sandbox)
    back = citizen.get(f"/pay/{intent_id}/return", params={"payment_intent": intent_id,
                                                            "payment_intent_client_secret": "pi_x_secret_y"})
    assert back.status_code == 303 and back.headers["location"] == f"/pay/{intent_id}/status"


def test_a_declined_card_is_said_on_the_same_page(citizen: httpx.Client, sandbox: Sandbox) -> None:
    intent_id = start_fine_payment(citizen, sandbox)
    page = citizen.get(f"/pay/{intent_id}")
    form = {"csrf_token": form_token(page.text), "payer": "Hoàng Văn Em", "method": "card",
            "test_card": "pm_card_chargeDeclined",
            "attempt_key": re.search(r'name="attempt_key" value="([^"]+)"', page.text).group(1)}
    declined = citizen.post(f"/pay/{intent_id}", data=form)
    assert declined.status_code == 400
    assert summary(declined.text) == ["Thẻ bị từ chối và bạn chưa bị trừ tiền. Hãy chọn cách thanh toán khác."]
    assert citizen.get(f"/receipts/{intent_id}").status_code == 404  # no receipt for an unpaid payment


def test_the_language_switch_goes_nowhere_but_here(citizen: httpx.Client) -> None:
    for target, expected in (("/fines", "/fines"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/\\evil.example", "/")):
        answer = citizen.get("/language/en", params={"next": target})
        assert answer.status_code == 303 and answer.headers["location"] == expected
    assert citizen.get("/fines").text.startswith('<!doctype html>\n<html lang="en">')


def test_a_payment_its_agency_cancelled_says_so_instead_of_taking_money(
        citizen: httpx.Client, sandbox: Sandbox, new_secret, api_url: str) -> None:
    intent_id = start_fine_payment(citizen, sandbox)
    page = citizen.get(f"/pay/{intent_id}")
    cancelled = httpx.post(f"{api_url}/v1/payment_intents/{intent_id}/cancel",
                           headers={"Authorization": f"Bearer {new_secret('BCA')}"})
    assert cancelled.status_code == 200, cancelled.text
    answer = citizen.post(f"/pay/{intent_id}", data={
        "csrf_token": form_token(page.text), "payer": "Hoàng Văn Em", "method": "vnpay",
        "attempt_key": re.search(r'name="attempt_key" value="([^"]+)"', page.text)[1]})
    assert answer.status_code == 303 and answer.headers["location"] == f"/pay/{intent_id}/status"
    assert "Khoản thanh toán đã bị hủy" in citizen.get(answer.headers["location"]).text


# Every route but these is a page (or a page's redirect, file or status poll): the API and
# the providers' messages, the sandboxes (other companies' sites), static files, the probes
# and Litestar's own OpenAPI viewers.
NOT_PAGES = ("/v1/", "/callbacks/", "/return/", "/sandbox/", "/static/", "/schema", "/healthz", "/readyz", "/metrics")
PAGE_ROUTES = sorted((method, path) for method, path in http_routes() if not path.startswith(NOT_PAGES))
# A value for each path parameter a page route takes; a route with a parameter not named
# here fails the test until one is given.
PATH_VALUES = {"code": "en", "intent_id": "pi_00000000000000000000000", "session_id": "cs_test_0000000000000000",
               "exception_id": "1", "day": "2026-01-01", "run_id": "1", "name": "matched", "staff_id": "1"}


def page_url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: PATH_VALUES[match[1]], path)


def test_every_form_route_checks_its_csrf_token() -> None:
    posts = {route.path_format: handler for route in gateway_app().routes
             for handler in getattr(route, "route_handlers", ())
             if "POST" in handler.http_methods and not route.path.startswith(NOT_PAGES)}
    assert posts and all(check_csrf in handler.resolve_guards() for handler in posts.values()), [
        path for path, handler in posts.items() if check_csrf not in handler.resolve_guards()]


def assert_answered_safely(answer: httpx.Response) -> None:
    """Never a server error; every HTML answer with the strict policy and the other headers;
    every cookie HttpOnly, SameSite and (the request came over https) Secure."""
    assert answer.status_code < 500, answer.text
    if answer.headers.get("content-type", "").startswith("text/html"):
        assert answer.headers["content-security-policy"] == content_security_policy()
        assert {name: answer.headers.get(name) for name in HEADERS} == HEADERS
    else:  # a file, a download, a status poll or a redirect: no sniffing, no cache either
        assert {name: answer.headers.get(name) for name in FILE_HEADERS} == FILE_HEADERS, answer.headers
    for cookie in answer.headers.get_list("set-cookie"):
        assert all(flag in cookie.lower() for flag in ("httponly", "samesite=", "secure")), cookie


@pytest.mark.parametrize(("method", "path"), PAGE_ROUTES, ids=[f"{m} {p}" for m, p in PAGE_ROUTES])
def test_every_page_route_answers_safely(citizen: httpx.Client, method: str, path: str) -> None:
    """Whatever the route answers a stranger with made-up ids (the page, its error page, a
    redirect to sign in), safely; and no form post is taken without its browser's token."""
    answer = citizen.request(method, page_url(path), headers={"X-Forwarded-Proto": "https"})
    assert_answered_safely(answer)
    if method == "POST":
        # A form post without a token: refused, or sent to sign in first (the console's guard).
        assert answer.status_code == 403 or answer.headers.get("location", "").startswith("/console/login"), (
            answer.status_code, answer.headers)


CONSOLE_ROUTES = [(method, path) for method, path in PAGE_ROUTES if path.startswith("/console")]


@pytest.fixture(scope="module", params=[Role.OFFICER, Role.ADMIN])
def staff_member(request, api_url: str, api_database_url: str) -> Iterator[httpx.Client]:
    """A browser signed in to the console, over https, as an officer (finance pages) or an
    admin (staff pages)."""
    async def add() -> str:
        async with await psycopg.AsyncConnection.connect(api_database_url, autocommit=True) as conn:
            return (await add_staff(conn, request.param)).email

    with ThreadPoolExecutor(1) as pool:  # pytest-asyncio may own this thread's event loop
        email = pool.submit(asyncio.run, add()).result()
    with httpx.Client(base_url=api_url, timeout=20, headers={"X-Forwarded-Proto": "https"}) as browser:
        login_page = keep_cookies(browser, browser.get("/console/login"))
        signed_in = browser.post("/console/login", data={"csrf_token": form_token(login_page.text), "email": email,
                                                         "password": PASSWORD})
        assert signed_in.status_code == 303, signed_in.text
        assert_answered_safely(keep_cookies(browser, signed_in))
        yield browser


def keep_cookies(browser: httpx.Client, answer: httpx.Response) -> httpx.Response:
    """Keep the answer's cookies for the next requests: the server sees https (the proxy's
    header) and marks them Secure, while the test talks plain http to it, over which httpx
    would not send a Secure cookie back."""
    for cookie in answer.cookies.jar:
        browser.cookies.set(cookie.name, cookie.value)
    return answer


@pytest.mark.parametrize(("method", "path"), CONSOLE_ROUTES, ids=[f"{m} {p}" for m, p in CONSOLE_ROUTES])
def test_every_console_route_answers_a_signed_in_member_safely(staff_member: httpx.Client, method: str,
                                                               path: str) -> None:
    answer = staff_member.request(method, page_url(path))
    assert_answered_safely(answer)
    if method == "POST":
        assert answer.status_code == 403, (answer.status_code, answer.headers)  # signed in, but no token
