"""A VNPAY that runs here: the payment page (``/paymentv2/vpcpay.html``, where the tester
picks the outcome), the IPN to the merchant with VNPAY's retries, the merchant API
(``querydr``, ``refund``) and the daily settlement file."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

import httpx
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, URLEncodedBody
from litestar.response import Redirect

from providers.simulation.app import sandbox_app
from providers.simulation.notifier import CallbackNotifier
from providers.simulation.page import html_response, message_page, outcome_page, unknown_scenario_page
from providers.clock import now_to_the_second
from providers.errors import MalformedMessage
from providers.simulation.processed import ProcessedBook
from providers.simulation.scenarios import (
    SandboxTiming, Scenario, chosen_scenario, paid_amount_minor, plan_callbacks,
)
from providers.vnpay import api
from providers.vnpay.callbacks import ACKNOWLEDGING_CODES
from providers.vnpay.config import VnpayConfig
from providers.vnpay.settlement import write_settlement
from providers.vnpay.signing import SECURE_HASH, canonical_query, sign_params, verify_secure_hash

DECLINED = "51"  # VNPAY: the account has not enough money
EXPIRED = "11"  # VNPAY: the payer did not pay before the order's vnp_ExpireDate


@dataclass
class _Transaction:
    txn_ref: str
    amount_minor: int
    order_info: str
    return_url: str
    expires_at: datetime
    transaction_no: str = ""
    status: str = api.INCOMPLETE
    paid_minor: int = 0
    pay_date: str = ""
    refunds: list[tuple[str, str, int]] = field(default_factory=list)  # (request id, type, amount)
    expired: bool = False

    def expire_if_due(self, now: datetime) -> None:
        """An order left unpaid past its vnp_ExpireDate can no longer be paid: it failed."""
        if self.status == api.INCOMPLETE and now > self.expires_at:
            self.status, self.expired = api.ERROR, True


class VnpaySandbox:
    def __init__(self, config: VnpayConfig, ipn_url: str, timing: SandboxTiming, fee_basis_points: int) -> None:
        self.config, self.ipn_url, self.timing = config, ipn_url, timing
        self.book = ProcessedBook("vnpay", fee_basis_points=fee_basis_points, settlement_lag_days=1)
        self.notifier = CallbackNotifier(timing.retry_delays_s)
        self.transactions: dict[str, _Transaction] = {}
        self._numbers = itertools.count(14_000_001)

    def next_number(self) -> str:
        return str(next(self._numbers))

    def signed_url(self, base: str, params: dict[str, str]) -> str:
        signed = sign_params(params, self.config.hash_secret)
        return f"{base}{'&' if '?' in base else '?'}{canonical_query(signed)}&{SECURE_HASH}={signed[SECURE_HASH]}"

    def settlement_file(self, day: date) -> bytes:
        # Each refund under the TxnRef of the payment it refunds, as VNPAY lists it.
        payment_refs = {request_id: txn.txn_ref for txn in self.transactions.values()
                        for request_id, _, _ in txn.refunds}
        return write_settlement(self.book.lines_for(day), self.config.tmn_code, payment_refs)


def _ipn_acknowledged(response: httpx.Response) -> bool:
    try:
        return msgspec.json.decode(response.content).get("RspCode") in ACKNOWLEDGING_CODES
    except (msgspec.DecodeError, AttributeError):
        return False


@get("/paymentv2/vpcpay.html", sync_to_thread=False)
def payment_page(request: Request, state: State) -> Response[str]:
    sandbox: VnpaySandbox = state.sandbox
    params = dict(request.query_params.items())
    if not verify_secure_hash(params, sandbox.config.hash_secret):
        return html_response(message_page("VNPAY", "Sai chữ ký (97): invalid signature"), 400)
    if params.get("vnp_TmnCode") != sandbox.config.tmn_code:
        return html_response(message_page("VNPAY", "Website chưa được phê duyệt (02): unknown terminal"), 400)
    txn_ref = params.get("vnp_TxnRef", "")
    txn = sandbox.transactions.get(txn_ref)
    if txn is not None and txn.status != api.INCOMPLETE:  # a reload before paying shows the page again
        return html_response(message_page("VNPAY", "Giao dịch đã tồn tại: vnp_TxnRef already used"), 400)
    try:
        amount_minor = api.from_vnp_amount(params.get("vnp_Amount", ""))
        expires_at = api.parse_time(params.get("vnp_ExpireDate", ""), "vnp_ExpireDate")
    except MalformedMessage as problem:
        return html_response(message_page("VNPAY", f"Sai định dạng (03): {problem.reason}"), 400)
    txn = sandbox.transactions[txn_ref] = _Transaction(
        txn_ref=txn_ref, amount_minor=amount_minor, order_info=params.get("vnp_OrderInfo", ""),
        return_url=params.get("vnp_ReturnUrl", ""), expires_at=expires_at)
    facts = {"Merchant": sandbox.config.tmn_code, "Order": txn_ref, "Amount (VND)": str(txn.amount_minor),
             "Info": txn.order_info}
    return html_response(outcome_page("VNPAY", facts, "pay", {"txn_ref": txn_ref}))


@post("/paymentv2/pay", sync_to_thread=False)
def pay(data: URLEncodedBody[dict[str, str]], state: State) -> Response[str] | Redirect:
    sandbox: VnpaySandbox = state.sandbox
    txn = sandbox.transactions.get(data.get("txn_ref", ""))
    now = now_to_the_second()
    if txn is not None:
        txn.expire_if_due(now)
    if txn is not None and txn.expired:
        return html_response(message_page("VNPAY", f"Giao dịch đã quá thời gian chờ thanh toán ({EXPIRED})"), 400)
    if txn is None or txn.status != api.INCOMPLETE:
        return html_response(message_page("VNPAY", "Không tìm thấy giao dịch đang chờ: no pending transaction"), 404)
    scenario = chosen_scenario(data)
    if scenario is None:
        return unknown_scenario_page("VNPAY")
    txn.transaction_no, txn.pay_date = sandbox.next_number(), api.format_time(now)
    txn.paid_minor = paid_amount_minor(scenario, txn.amount_minor, sandbox.timing)
    txn.status = api.PAID if scenario.pays else api.ERROR
    if scenario.pays:
        sandbox.book.record("payment", attempt_ref=txn.txn_ref, provider_ref=txn.transaction_no,
                            amount_minor=txn.paid_minor, currency="VND", at=now)
    result = {
        "vnp_Amount": api.to_vnp_amount(txn.paid_minor), "vnp_BankCode": "NCB",
        "vnp_BankTranNo": f"VNP{txn.transaction_no}", "vnp_CardType": "ATM", "vnp_OrderInfo": txn.order_info,
        "vnp_PayDate": txn.pay_date, "vnp_ResponseCode": "00" if scenario.pays else DECLINED,
        "vnp_TmnCode": sandbox.config.tmn_code, "vnp_TransactionNo": txn.transaction_no,
        "vnp_TransactionStatus": txn.status, "vnp_TxnRef": txn.txn_ref,
    }
    # VNPAY calls the IPN URL configured for the terminal with a GET carrying the result.
    sandbox.notifier.schedule(plan_callbacks(scenario, sandbox.timing), sandbox.signed_url(sandbox.ipn_url, result),
                              content=b"", acknowledged=_ipn_acknowledged, method="GET")
    if scenario is Scenario.TIMEOUT:
        return html_response(message_page("VNPAY", "Giao dịch đang được xử lý: the bank has not answered yet"), 504)
    return Redirect(path=sandbox.signed_url(txn.return_url, result), status_code=302)


@post("/merchant_webapi/api/transaction", sync_to_thread=False)
def merchant_api(data: JSONBody[dict[str, str]], state: State) -> dict[str, str]:
    sandbox: VnpaySandbox = state.sandbox
    command = data.get("vnp_Command", "")
    order, answer_order = {"querydr": (api.QUERYDR_FIELDS, api.QUERYDR_RESPONSE_FIELDS),
                           "refund": (api.REFUND_FIELDS, api.REFUND_RESPONSE_FIELDS)}.get(command, ((), ()))
    txn = sandbox.transactions.get(data.get("vnp_TxnRef", ""))
    if txn is not None:
        txn.expire_if_due(now_to_the_second())
    if not order:
        code = api.BAD_FORMAT
    elif not api.verify_api_message(data, order, sandbox.config.hash_secret):
        code = api.BAD_CHECKSUM
    elif data.get("vnp_TmnCode") != sandbox.config.tmn_code:
        code = api.BAD_MERCHANT
    elif txn is None:
        code = api.NOT_FOUND
    elif command == "refund":
        code = _refund(sandbox, txn, data)
    else:
        code = api.OK
    fields = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_Command": command, "vnp_ResponseCode": code,
              "vnp_Message": "Success" if code == api.OK else f"Error {code}", "vnp_TmnCode": sandbox.config.tmn_code,
              "vnp_TxnRef": data.get("vnp_TxnRef", "")}
    if txn is not None and code in (api.OK, api.DUPLICATE):
        fields |= _describe(txn)
    return api.sign_api_message({name: fields.get(name, "") for name in answer_order}, answer_order,
                                sandbox.config.hash_secret)


def _refund(sandbox: VnpaySandbox, txn: _Transaction, data: dict[str, str]) -> str:
    request_id = data["vnp_RequestId"]
    if any(done == request_id for done, _, _ in txn.refunds):
        return api.DUPLICATE
    if txn.status != api.PAID:
        return "95"  # VNPAY: the transaction did not succeed, nothing to refund
    amount_minor = api.from_vnp_amount(data["vnp_Amount"])
    remaining = txn.paid_minor - sum(amount for _, _, amount in txn.refunds)
    kind = data["vnp_TransactionType"]
    if kind not in (api.FULL_REFUND, api.PARTIAL_REFUND):
        return api.BAD_FORMAT
    if kind == api.FULL_REFUND and (txn.refunds or amount_minor != txn.paid_minor):
        return "04"  # VNPAY: a full refund must be the whole, untouched payment
    if not 0 < amount_minor <= remaining:
        return "93"  # VNPAY: the refund amount is more than what is left to refund
    txn.refunds.append((request_id, kind, amount_minor))
    sandbox.book.record("refund", attempt_ref=request_id, provider_ref=sandbox.next_number(),
                        amount_minor=amount_minor, currency="VND", at=now_to_the_second())
    return api.OK


def _describe(txn: _Transaction) -> dict[str, str]:
    """querydr's view: the payment, or its latest refund once there is one."""
    kind, amount_minor = (api.PAYMENT, txn.paid_minor or txn.amount_minor)
    status = txn.status
    if txn.refunds:
        _, kind, amount_minor = txn.refunds[-1]
        status = api.REFUND_SENT
    return {"vnp_Amount": api.to_vnp_amount(amount_minor), "vnp_BankCode": "NCB", "vnp_PayDate": txn.pay_date,
            "vnp_TransactionNo": txn.transaction_no, "vnp_TransactionType": kind,
            "vnp_TransactionStatus": status, "vnp_OrderInfo": txn.order_info}


def create_sandbox_app(config: VnpayConfig, *, ipn_url: str, timing: SandboxTiming = SandboxTiming(),
                       fee_basis_points: int = 110) -> Litestar:
    """``ipn_url`` is the merchant's IPN endpoint, which VNPAY keeps per terminal."""
    return sandbox_app(VnpaySandbox(config, ipn_url, timing, fee_basis_points), [payment_page, pay, merchant_api])
