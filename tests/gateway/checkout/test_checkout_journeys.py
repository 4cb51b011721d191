"""Each journey end to end in Chromium against the real server and its provider sandboxes,
on a phone, on a desktop and on a phone with JavaScript off (the ``visit`` fixture)."""

from __future__ import annotations

import re

from tests.gateway.checkout.conftest import Sandbox, Visit


def pay_at_sandbox(visit: Visit, provider: str) -> None:
    """Choose how to pay, then act as the payer at the provider's (sandbox) page."""
    page = visit.page
    page.fill("#payer", "Nguyễn Văn An")
    page.locator(f"input[name=method][value={provider}]").check()
    visit.step("choose-how-to-pay")
    visit.submit(re.compile("^Thanh toán"))
    if provider == "vietqr":
        visit.step("vietqr-code")
        assert page.locator("dt", has_text="Nội dung chuyển khoản").count() == 1
        status_url = page.url
        page.get_by_role("link", name=re.compile("ngân hàng thử nghiệm")).click()
        page.locator("button[value=success]").click()
        page.goto(status_url)
    elif provider != "card":
        assert f"/sandbox/{provider}/" in page.url
        page.locator("button[value=success]").click()
    visit.wait_until_paid()
    visit.step("paid")


def check_receipt(visit: Visit, amount: str, *words: str) -> None:
    visit.page.get_by_role("link", name="Xem biên lai").click()
    check_receipt_shown(visit, amount, *words)


def check_receipt_shown(visit: Visit, amount: str, *words: str) -> None:
    """The receipt page in view: it says ``amount`` and ``words``, downloads as a PDF, and
    passes the public check."""
    page = visit.page
    visit.step("receipt")
    main = page.locator("main").inner_text()
    assert amount in main.replace("\u00a0", " ") and all(word in main for word in words)
    number = page.locator("dt:text-is('Số biên lai') + dd").inner_text()
    code = page.locator("dt:text-is('Mã kiểm tra') + dd").inner_text()
    pdf = visit.context.request.get(f"{visit.base_url}/receipts/{number}/pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF-")
    # Anyone holding the receipt can check it, from another browser, typing the code loosely.
    visit.goto("/receipts/check")
    page.fill("#number", number)
    page.fill("#code", code.lower())
    visit.submit("Kiểm tra")
    visit.step("receipt-checked")
    assert page.get_by_role("heading", name="Biên lai hợp lệ").count() == 1


def test_pay_a_traffic_fine_found_by_plate(visit: Visit, sandbox: Sandbox) -> None:
    decision = sandbox.fine()
    page = visit.goto("/")
    visit.step("start")
    page.get_by_role("link", name="Nộp phạt vi phạm giao thông").click()
    plate = decision.subject
    page.fill("#lookup", f"{plate[:3].lower()}-{plate[3:6]}.{plate[6:]}")  # as a person types it: 88c-123.45
    visit.step("lookup")
    visit.submit("Tiếp tục")
    visit.step("decisions")
    assert page.get_by_role("heading", name=f"Quyết định số {decision.reference}").count() == 1
    assert "Quá hạn" not in page.locator("main").inner_text()
    visit.submit(re.compile("Nộp phạt 5.000.000"))
    pay_at_sandbox(visit, "vnpay")
    check_receipt(visit, "5.000.000 ₫", "Năm triệu đồng")


def test_pay_all_electricity_bills_by_bank_transfer(visit: Visit, sandbox: Sandbox) -> None:
    bills = sandbox.electricity()
    page = visit.goto("/electricity")
    page.fill("#customer_code", bills[0].subject.lower())
    visit.submit("Tiếp tục")
    visit.step("bills")
    assert page.locator("tbody tr").count() == 2
    visit.submit(re.compile("Thanh toán tất cả 802.250"))
    pay_at_sandbox(visit, "vietqr")
    check_receipt(visit, "802.250 ₫", "Tám trăm linh hai nghìn hai trăm năm mươi đồng")


def test_pay_one_electricity_bill_of_three_without_javascript(phone_without_javascript: Visit,
                                                             sandbox: Sandbox) -> None:
    visit = phone_without_javascript
    may, june, july = sandbox.electricity({5: 412_350, 6: 389_900, 7: 405_100})
    page = visit.goto("/electricity")
    page.fill("#customer_code", may.subject)
    visit.submit("Tiếp tục")
    visit.step("bills")
    assert page.locator("tbody tr").count() == 3
    visit.submit("Thanh toán Tiền điện kỳ 06/2025, 389.900 ₫")
    assert "389.900" in page.locator("main").inner_text().replace("\u00a0", " ")
    pay_at_sandbox(visit, "momo")
    check_receipt(visit, "389.900 ₫", "Ba trăm tám mươi chín nghìn chín trăm đồng", june.reference)
    visit.goto("/electricity")
    page.fill("#customer_code", may.subject)
    visit.submit("Tiếp tục")
    visit.step("bills-left")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert may.description in rows.nth(0).inner_text() and july.description in rows.nth(1).inner_text()
    assert "817.450" in page.locator("tfoot").inner_text()  # 412.350 + 405.100 still to pay


def test_renew_household_health_insurance_by_card(visit: Visit, sandbox: Sandbox) -> None:
    household = sandbox.household(members=3)
    page = visit.goto("/health-insurance")
    page.fill("#social_insurance_number", household.social_insurance_number)
    visit.submit("Tiếp tục")
    visit.step("household")
    assert "Lê Văn Cường" not in page.content()  # a number typed by anyone shows no names
    visit.submit("Tiếp tục")  # no period chosen: the same page says so
    visit.step("months-missing")
    page.get_by_role("link", name="Chọn thời gian gia hạn").click()
    page.get_by_label("6 tháng").check()
    visit.submit("Tiếp tục")
    visit.step("premium")
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert "70% mức của người thứ nhất" in rows.nth(1).inner_text()
    visit.submit(re.compile("^Đóng "))
    pay_at_sandbox(visit, "card")


def test_pay_for_a_dossier_then_its_timeline_shows_paid(visit: Visit, sandbox: Sandbox) -> None:
    code, secret = sandbox.dossier_awaiting_payment()
    page = visit.goto("/dossiers/pay")
    page.fill("#dossier_code", code)
    page.fill("#tracking_secret", "WRONGSECRET")
    visit.submit("Tiếp tục")
    visit.step("wrong-secret")
    assert page.get_by_role("link", name="Mã hồ sơ hoặc mã tra cứu không đúng").count() == 1
    page.fill("#tracking_secret", secret)
    visit.submit("Tiếp tục")
    visit.step("amount")
    assert secret not in page.content()  # the next form carries a sealed proof, not the secret
    visit.submit(re.compile("^Thanh toán"))
    pay_at_sandbox(visit, "momo")
    visit.goto("/dossiers/track")
    page.fill("#dossier_code", code.lower())
    page.fill("#tracking_secret", secret)
    visit.submit("Tiếp tục")
    visit.step("timeline")
    assert page.locator(".tag").inner_text() == "Đã thanh toán"


def test_find_a_service_without_diacritics_in_english(phone: Visit) -> None:
    page = phone.goto("/")
    page.get_by_role("link", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    page.fill("#q", "giay phep lai xe")
    phone.submit("Search")
    phone.step("results")
    page.get_by_role("link", name="Driving licence exchange").click()
    phone.step("service")
    assert "135.000\u00a0₫ per application." in page.locator("main").inner_text()
    page.get_by_role("link", name="Tiếng Việt").click()
    assert page.get_attribute("html", "lang") == "vi"
    assert page.get_by_role("heading", level=1).inner_text() == "Đổi giấy phép lái xe"


def focused(visit: Visit) -> str:
    return visit.page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")


def test_a_fine_is_found_and_its_payment_started_by_keyboard_alone(desktop: Visit, sandbox: Sandbox) -> None:
    decision = sandbox.fine()
    page = desktop.goto("/fines")
    keyboard = page.keyboard
    keyboard.press("Tab")
    assert focused(desktop) == "Chuyển đến nội dung chính"  # the skip link comes first
    keyboard.press("Enter")
    keyboard.press("Tab")  # from the top of the main content: the back link, then the field
    keyboard.press("Tab")
    assert focused(desktop) == "lookup"
    keyboard.type("not a plate")
    keyboard.press("Enter")
    desktop.step("error-focused")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    keyboard.press("Tab")  # the summary's link leads to the field
    keyboard.press("Enter")
    assert focused(desktop) == "lookup"
    keyboard.press("Control+A")
    keyboard.type(decision.reference)
    keyboard.press("Enter")
    page.get_by_role("heading", name=f"Quyết định số {decision.reference}").wait_for()
    for _ in range(10):  # Tab through the header and the back link to the button
        keyboard.press("Tab")
        if focused(desktop).startswith("Nộp phạt"):
            break
    keyboard.press("Enter")
    page.get_by_role("heading", name="Chọn cách thanh toán").wait_for()
    desktop.step("choose-by-keyboard")


def test_error_pages_are_pages_too(phone: Visit) -> None:
    page = phone.goto("/pay/pi_nobodys")
    phone.step("not-found")
    assert page.get_by_role("heading", level=1).inner_text() == "Không tìm thấy trang"
    phone.goto("/fines")
    phone.context.clear_cookies()  # the form's token no longer matches any cookie: an expired page
    page.fill("#lookup", "30A12345")
    phone.submit("Tiếp tục")
    phone.step("expired-form")
    assert page.get_by_role("heading", level=1).inner_text() == "Trang đã hết hạn"
    phone.goto("/fines")
    for _ in range(21):  # ten look-ups a minute per server process; the test server runs two
        page.fill("#lookup", "30A99999")
        phone.submit("Tiếp tục")
        if page.get_by_role("heading", name="Bạn đã tra cứu quá nhiều lần").count():
            break
    phone.step("too-many-lookups")
    assert page.get_by_role("heading", level=1).inner_text() == "Bạn đã tra cứu quá nhiều lần"
