"""A bank that runs here: a tester "pays" a VietQR from their banking app (a page that
reads the QR payload and lets them choose the outcome and how the app mangles the
description), the bank books the credit and notifies the merchant's webhook (signed,
retried), answers searches and returns on its account API, and exports the statement."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from html import escape

import msgspec
from litestar import Litestar, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath, FromQuery, JSONBody, URLEncodedBody

from providers.clock import BUSINESS_ZONE, now_to_the_second
from providers.simulation.app import require_bearer, sandbox_app
from providers.simulation.notifier import CallbackNotifier
from providers.simulation.page import html_response, message_page, outcome_page, unknown_scenario_page
from providers.simulation.scenarios import (
    SandboxTiming, Scenario, chosen_scenario, paid_amount_minor, plan_callbacks,
)
from providers.vietqr.bank_api import BankError, ReturnAnswer, ReturnRequest, SearchRequest
from providers.vietqr.config import VietqrConfig
from providers.vietqr.emvco import decode_vietqr
from providers.vietqr.errors import VietQRError
from providers.vietqr.notification import SIGNATURE_HEADER, CreditNotification, sign_body
from providers.vietqr.references import extract_references
from providers.vietqr.settlement import StatementEntry, write_statement

# How the payer's app turns the QR's purpose into a description: the real-world mess.
DESCRIPTION_STYLES = {
    "exact": "{ref}",
    "lowercase": "{lower}",
    "extra_words": "NGUYEN VAN A chuyen tien {lower} le phi ho chieu",
    "glued": "MBVCB.4412.{ref}.CT tu 0123456789",
    "missing": "NGUYEN VAN A chuyen tien le phi",
}
PAYER_ACCOUNT, PAYER_BIN = "0123456789", "970415"
NAPAS_LIMIT_MINOR = 499_999_999  # NAPAS 247 takes transfers below 500 million đồng


@dataclass
class BankSandbox:
    config: VietqrConfig
    webhook_url: str
    timing: SandboxTiming
    notifier: CallbackNotifier
    credits: list[CreditNotification] = field(default_factory=list)
    returns: dict[str, ReturnAnswer] = field(default_factory=dict)  # by our reference
    returned_minor: dict[str, int] = field(default_factory=dict)  # by credit transaction id
    statement: list[StatementEntry] = field(default_factory=list)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def new_transaction_id(self) -> str:
        return f"FT{now_to_the_second().astimezone(BUSINESS_ZONE):%y%j}{next(self.numbers):06d}"

    def settlement_file(self, day: date) -> bytes:
        return write_statement(e for e in self.statement if e.booked_at.astimezone(BUSINESS_ZONE).date() == day)


def _bank_error(status_code: int, code: str, message: str) -> Response[bytes]:
    return Response(msgspec.json.encode(BankError(code=code, message=message)), status_code=status_code,
                    media_type="application/json")


_require_api_key = require_bearer("api_key")


@get("/transfer", sync_to_thread=False)
def transfer_page(payload: FromQuery[str]) -> Response[str]:
    try:
        qr = decode_vietqr(payload)
    except VietQRError as problem:
        return html_response(message_page("VietQR", f"Mã QR không hợp lệ: {problem}"), 400)
    facts = {"Bank BIN": qr.acquirer_bin, "Account": qr.account_number, "Amount (VND)": str(qr.amount_minor or ""),
             "Purpose": qr.purpose or ""}
    styles = "".join(f'<label><input type="radio" name="description_style" value="{s}"{" checked" if s == "exact" else ""}>'
                     f"{escape(s)}</label> " for s in DESCRIPTION_STYLES)
    # Banking apps let the payer change the amount a QR asks for: any outcome can then carry
    # another amount, with or without the bank's notification.
    amount = (f'<p><label>Amount (VND) <input name="amount" inputmode="numeric" value="{qr.amount_minor or ""}">'
              "</label></p>")
    page = outcome_page("VietQR", facts, "transfer", {"payload": payload}, [f"<p>Description: {styles}</p>", amount])
    return html_response(page)


@post("/transfer", sync_to_thread=False)
def transfer(data: URLEncodedBody[dict[str, str]], state: State) -> Response[str]:
    """The payer's bank sends the transfer; ``description`` (free text) overrides the style."""
    sandbox: BankSandbox = state.sandbox
    try:
        qr = decode_vietqr(data.get("payload", ""))
    except VietQRError as problem:
        return html_response(message_page("VietQR", f"Mã QR không hợp lệ: {problem}"), 400)
    if (qr.acquirer_bin, qr.account_number) != (sandbox.config.acquirer_bin, sandbox.config.account_number):
        return html_response(message_page("VietQR", "Tài khoản không thuộc ngân hàng này: not our account"), 404)
    scenario = chosen_scenario(data)
    if scenario is None:
        return unknown_scenario_page("VietQR")
    if not scenario.pays:
        return html_response(message_page("VietQR", "Giao dịch bị từ chối: the payer's bank declined"), 402)
    asked_minor = _amount_sent(data.get("amount", ""), qr.amount_minor)
    if asked_minor is None:
        return html_response(message_page("VietQR", f"Số tiền không hợp lệ: {data.get('amount')!r} is no amount"
                                                    " in đồng"), 400)
    ref = qr.purpose or ""
    style = DESCRIPTION_STYLES[data.get("description_style", "exact")]
    credit = CreditNotification(
        transaction_id=sandbox.new_transaction_id(), account_number=qr.account_number,
        amount=paid_amount_minor(scenario, asked_minor, sandbox.timing), currency="VND",
        description=data.get("description") or style.format(ref=ref, lower=ref.lower()),
        booking_time=now_to_the_second().astimezone(BUSINESS_ZONE), counter_account_number=PAYER_ACCOUNT,
        counter_bank_bin=PAYER_BIN, counter_name="NGUYEN VAN A")
    sandbox.credits.append(credit)
    sandbox.statement.append(StatementEntry(transaction_id=credit.transaction_id, booked_at=credit.booking_time,
                                            credit_debit="C", amount_minor=credit.amount, currency="VND",
                                            description=credit.description))
    body = msgspec.json.encode(credit)
    sandbox.notifier.schedule(plan_callbacks(scenario, sandbox.timing), sandbox.webhook_url, content=body,
                              headers=lambda: {"content-type": "application/json",
                                               SIGNATURE_HEADER: sign_body(body, sandbox.config.webhook_secret)})
    if scenario is Scenario.TIMEOUT:
        return html_response(message_page("VietQR", "Đang xử lý: NAPAS has not confirmed yet"), 504)
    return html_response(message_page("VietQR", f"Chuyển khoản thành công: {credit.transaction_id}"))


def _amount_sent(typed: str, asked_minor: int | None) -> int | None:
    """What the payer sends: the amount they typed, else the QR's; None when neither is one."""
    typed = typed.strip()
    if not typed:
        return asked_minor
    if not (typed.isascii() and typed.isdigit() and len(typed) <= 12):
        return None
    return int(typed) if 0 < int(typed) <= NAPAS_LIMIT_MINOR else None


@post("/api/v1/transactions/search", sync_to_thread=False, guards=[_require_api_key])
def search(data: JSONBody[SearchRequest], state: State) -> dict[str, list[CreditNotification]]:
    sandbox: BankSandbox = state.sandbox
    wanted = data.reference.upper()
    found = [c for c in sandbox.credits if wanted in extract_references(c.description, sandbox.config.reference_prefix)]
    return {"transactions": found}


@post("/api/v1/returns", sync_to_thread=False, guards=[_require_api_key])
def return_credit(data: JSONBody[ReturnRequest], state: State) -> Response[bytes]:
    sandbox: BankSandbox = state.sandbox
    if data.reference in sandbox.returns:
        return _bank_error(409, "duplicate_reference", "a return with this reference exists")
    credit = next((c for c in sandbox.credits if c.transaction_id == data.transaction_id), None)
    if credit is None:
        return _bank_error(404, "transaction_not_found", "no such credit on this account")
    returned = sandbox.returned_minor.get(credit.transaction_id, 0)
    if not 0 < data.amount <= credit.amount - returned:
        return _bank_error(422, "amount_exceeds_credit", f"at most {credit.amount - returned} can be returned")
    entry = StatementEntry(transaction_id=sandbox.new_transaction_id(), booked_at=now_to_the_second(),
                           credit_debit="D", amount_minor=data.amount, currency="VND", description=data.description,
                           customer_ref=data.reference)
    sandbox.statement.append(entry)
    sandbox.returned_minor[credit.transaction_id] = returned + data.amount
    answer = ReturnAnswer(reference=data.reference, return_id=entry.transaction_id, status="completed",
                          amount=data.amount)
    sandbox.returns[data.reference] = answer
    return Response(msgspec.json.encode(answer), media_type="application/json")


@get("/api/v1/returns/{reference:str}", sync_to_thread=False, guards=[_require_api_key])
def get_return(reference: FromPath[str], state: State) -> Response[bytes]:
    sandbox: BankSandbox = state.sandbox
    answer = sandbox.returns.get(reference)
    if answer is None:
        return _bank_error(404, "return_not_found", "no return with this reference")
    return Response(msgspec.json.encode(answer), media_type="application/json")


def _unauthorized(_: object, problem: NotAuthorizedException) -> Response[bytes]:
    return _bank_error(401, "unauthorized", problem.detail)


def create_sandbox_app(config: VietqrConfig, *, webhook_url: str, timing: SandboxTiming = SandboxTiming()) -> Litestar:
    """``webhook_url`` is the merchant's notification endpoint, registered with the bank."""
    sandbox = BankSandbox(config=config, webhook_url=webhook_url, timing=timing,
                          notifier=CallbackNotifier(timing.retry_delays_s))
    return sandbox_app(sandbox, [transfer_page, transfer, search, return_credit, get_return],
                       exception_handlers={NotAuthorizedException: _unauthorized})
