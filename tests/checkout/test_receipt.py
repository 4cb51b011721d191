"""Receipts: the verification code, what a person types for it, and the PDF."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.checkout.receipt import CODE_LENGTH, Receipt, normalise_code, verification_code
from gateway.checkout.receipt_pdf import receipt_pdf, receipt_rows
from gateway.web.i18n import all_messages

KEY = b"k" * 32
PAID_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def receipt(**changes: object) -> Receipt:
    fields = dict(number="pi_abc", payer="Nguyễn Thị Ánh", service_code="BCA-XPVPHC-GT",
                  service_name_vi="Nộp phạt vi phạm hành chính giao thông đường bộ", service_name_en="Traffic fine",
                  agency_code="BCA", agency_name_vi="Bộ Công an", agency_name_en="Ministry of Public Security",
                  reference="0012345/QĐ-XPVPHC", amount_minor=5_000_000, currency="VND", provider="vnpay",
                  provider_ref="14000001", paid_at=PAID_AT, verification_code="ABCDE12345")
    return Receipt(**(fields | changes))


@given(st.text(min_size=1, max_size=30), st.integers(1, 10**11))
def test_the_code_is_short_typable_and_bound_to_number_and_amount(number: str, amount: int) -> None:
    code = verification_code(KEY, number, amount, PAID_AT)
    assert len(code) == CODE_LENGTH and set(code) <= CROCKFORD
    assert code == verification_code(KEY, number, amount, PAID_AT)
    assert code != verification_code(KEY, number, amount + 1, PAID_AT)
    assert code != verification_code(b"x" * 32, number, amount, PAID_AT)
    assert normalise_code(" ".join(code.lower())) == code


def test_letters_people_confuse_read_as_crockford_digits() -> None:
    assert normalise_code("o1l-I 0o") == "011100"


def test_the_rows_carry_the_amount_in_figures_and_words_in_the_page_language() -> None:
    rows = dict(receipt_rows(receipt(), all_messages().translator("vi")))
    assert rows["Số tiền"] == "5.000.000\u00a0₫"
    assert rows["Số tiền bằng chữ"] == "Năm triệu đồng"
    assert rows["Thời gian thanh toán"] == "02/01/2026 10:04"
    english = dict(receipt_rows(receipt(reference=None), all_messages().translator("en")))
    assert english["Paid to"] == "Ministry of Public Security" and "Reference" not in english


def test_the_pdf_embeds_a_unicode_font_for_vietnamese() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # fpdf2 warns about each glyph its font lacks
        pdf = receipt_pdf(receipt(), all_messages().translator("vi"))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in pdf and b"Roboto" in pdf  # an embedded TrueType subset, not a core font
