"""The receipt as a PDF, for citizens who must file or forward it.

fpdf2: pure Python, maintained, small (no headless browser, no native libraries such as
WeasyPrint's Pango), and it embeds a subset of a TrueType font so Vietnamese letters
(ắ, ệ, ữ, đ) print exactly. The font is Roboto from the ``font-roboto`` wheel on PyPI,
which covers Vietnamese; no system font is assumed."""

from __future__ import annotations

import font_roboto
from fpdf import FPDF

from gateway.checkout.receipt import Receipt
from gateway.web.formatting import format_local_datetime, format_vnd
from gateway.web.i18n import Translator

FONT = "Roboto"
A5_MM = (148, 210)  # given as numbers: fpdf2 changed its named A5 in 2.8.5 and warns about it


def receipt_pdf(receipt: Receipt, t: Translator) -> bytes:
    pdf = FPDF(format=A5_MM)
    pdf.set_title(f"{t('checkout.receipt.title')} {receipt.number}")
    pdf.set_creator("publicpay")
    pdf.add_font(FONT, "", font_roboto.font_files["Roboto"])
    pdf.add_font(FONT, "B", font_roboto.font_files["RobotoBold"])
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, t("checkout.receipt.title"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(0, 5, t("web.site_name"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in receipt_rows(receipt, t):
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 11)
        pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.ln(2)
    pdf.set_font(FONT, "", 8)
    pdf.multi_cell(0, 4, t("checkout.receipt.check_hint"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def receipt_rows(receipt: Receipt, t: Translator) -> list[tuple[str, str]]:
    """The receipt's lines, in the order both the page and the PDF print them."""
    vietnamese = t.lang == "vi"
    rows = [
        (t("checkout.receipt.number"), receipt.number),
        (t("checkout.receipt.payer"), receipt.payer or "—"),
        (t("checkout.service"), receipt.service_name_vi if vietnamese else receipt.service_name_en),
        (t("checkout.agency"), receipt.agency_name_vi if vietnamese else receipt.agency_name_en),
    ]
    if receipt.reference:
        rows.append((t("checkout.reference"), receipt.reference))
    rows += [
        (t("checkout.amount"), format_vnd(receipt.amount_minor)),
        (t("checkout.receipt.in_words"), receipt.amount_words),
        (t("checkout.receipt.provider"), t(f"checkout.provider.{receipt.provider}")),
        (t("checkout.receipt.provider_ref"), receipt.provider_ref or "—"),
        (t("checkout.receipt.paid_at"), format_local_datetime(receipt.paid_at)),
        (t("checkout.receipt.verification_code"), receipt.verification_code),
    ]
    return rows
