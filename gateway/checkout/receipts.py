"""The receipt of a succeeded payment (a printable page and a PDF), for the browser that
paid; and the public receipt check, where anyone holding a receipt's number and
verification code can confirm it is genuine."""

from __future__ import annotations

import hmac

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Template
from litestar.params import FromPath
from psycopg import AsyncConnection

from gateway.api.dependencies import Connection
from gateway.checkout.page_input import check_lookup_limit, form_text
from gateway.checkout.paying import owned_intent
from gateway.checkout.receipt import Receipt, normalise_code
from gateway.checkout.receipt_pdf import receipt_pdf, receipt_rows
from gateway.checkout.receipt_store import receipt_for
from gateway.errors import ResourceMissing
from gateway.payments import store
from gateway.web.form_errors import FieldError
from gateway.web.signing_key import request_signing_key
from gateway.web.templating import page_translator, render

ID_PATTERN_LENGTH = 60


async def _owned_receipt(request: Request, conn: AsyncConnection, intent_id: str) -> Receipt:
    _, intent = await owned_intent(request, conn, intent_id)
    receipt = await receipt_for(conn, intent, request_signing_key(request))
    if receipt is None:  # not paid (yet): there is no receipt to show
        raise NotFoundException()
    return receipt


@get("/receipts/{intent_id:str}")
async def receipt_page(request: Request, conn: Connection, intent_id: FromPath[str]) -> Template:
    receipt = await _owned_receipt(request, conn, intent_id)
    return render(request, "checkout/receipt.html", receipt=receipt, rows=receipt_rows(receipt, page_translator(request)))


@get("/receipts/{intent_id:str}/pdf")
async def receipt_download(request: Request, conn: Connection, intent_id: FromPath[str]) -> Response:
    receipt = await _owned_receipt(request, conn, intent_id)
    return Response(receipt_pdf(receipt, page_translator(request)), media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="bien-lai-{receipt.number}.pdf"'})


def _check_page(request: Request, number: str = "", errors: list[FieldError] | None = None,
                receipt: Receipt | None = None) -> Template:
    return render(request, "checkout/receipt_check.html", status_code=400 if errors else 200, number=number,
                  errors=errors or [], by_field=FieldError.by_field(errors or []), receipt=receipt)


@get("/receipts/check")
async def receipt_check_form(request: Request) -> Template:
    return _check_page(request)


@post("/receipts/check")
async def check_receipt(request: Request, conn: Connection) -> Template:
    check_lookup_limit(request)
    t = page_translator(request)
    number = (await form_text(request, "number")).strip()[:ID_PATTERN_LENGTH]
    code = normalise_code(await form_text(request, "code"))
    errors = [FieldError("number", t("checkout.errors.number.missing_field"))] if not number else []
    errors += [FieldError("code", t("checkout.errors.code.missing_field"))] if not code else []
    if errors:
        return _check_page(request, number, errors)
    receipt = await _verified_receipt(request, conn, number, code)
    if receipt is None:
        # One answer for an unknown number and a wrong code, so numbers cannot be probed.
        return _check_page(request, number, [FieldError("number", t("checkout.errors.receipt.not_genuine"))])
    return _check_page(request, number, receipt=receipt)


async def _verified_receipt(request: Request, conn: AsyncConnection, number: str, code: str) -> Receipt | None:
    scope = await store.scope_of_intent(conn, number)
    if scope is None:
        return None
    try:
        intent = await store.get_intent(conn, scope, number)
    except ResourceMissing:
        return None
    receipt = await receipt_for(conn, intent, request_signing_key(request))
    genuine = receipt is not None and hmac.compare_digest(receipt.verification_code, code)
    return receipt if genuine else None


HANDLERS = [receipt_check_form, check_receipt, receipt_page, receipt_download]
