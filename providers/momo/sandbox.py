"""A MoMo that runs here: ``/v2/gateway/api/{create,query,refund}``, the payment page
behind ``payUrl`` (where the tester picks the outcome), the signed IPN with retries until
the merchant answers 204, and the daily settlement file."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, QueryParameter, URLEncodedBody
from litestar.response import Redirect

from providers.clock import now_to_the_second
from providers.momo import api
from providers.momo.config import MomoConfig
from providers.momo.settlement import write_settlement
from providers.momo.signing import CreatePaymentRequest, MomoMessage, PaymentResult, QueryRequest, RefundRequest
from providers.momo.signing import sign_message, verify_message
from providers.simulation.app import public_base_url, sandbox_app
from providers.simulation.notifier import CallbackNotifier
from providers.simulation.page import html_response, message_page, outcome_page, unknown_scenario_page
from providers.simulation.processed import ProcessedBook
from providers.simulation.scenarios import (
    SandboxTiming, Scenario, chosen_scenario, paid_amount_minor, plan_callbacks,
)

BAD_SIGNATURE, BAD_REQUEST = 11, 20  # MoMo: access denied; bad format
MIN_AMOUNT, MAX_AMOUNT = 1_000, 50_000_000  # captureWallet's limits, VND
WAITING = 1000  # initiated, waiting for the payer
# Our choice for an order that names no orderExpireTime (the adapter always sends one).
DEFAULT_EXPIRE_MINUTES = 15


@dataclass
class _Order:
    request: CreatePaymentRequest
    expires_at: datetime
    result_code: int = WAITING
    trans_id: int = 0
    paid_minor: int = 0
    response_time: int = 0
    refunds: list[api.RefundTransaction] = field(default_factory=list)

    def expire_if_due(self, now: datetime) -> None:
        """An order still waiting past its orderExpireTime can no longer be paid: it failed."""
        if self.result_code == WAITING and now > self.expires_at:
            self.result_code = api.EXPIRED


class MomoSandbox:
    def __init__(self, config: MomoConfig, timing: SandboxTiming, fee_basis_points: int) -> None:
        self.config, self.timing = config, timing
        self.book = ProcessedBook("momo", fee_basis_points=fee_basis_points, settlement_lag_days=1)
        self.notifier = CallbackNotifier(timing.retry_delays_s)
        self.orders: dict[str, _Order] = {}
        self._trans_ids = itertools.count(4_088_000_001)

    def next_trans_id(self) -> int:
        return next(self._trans_ids)

    def verified(self, message: MomoMessage) -> bool:
        return message.partner_code == self.config.partner_code and verify_message(
            message, self.config.access_key, self.config.secret_key)

    def settlement_file(self, day: date) -> bytes:
        return write_settlement(self.book.lines_for(day), self.config.partner_code)

    def order(self, order_id: str) -> _Order | None:
        """The order as it stands now: expired if its time has passed."""
        order = self.orders.get(order_id)
        if order is not None:
            order.expire_if_due(datetime.now(UTC))
        return order


def _answer(request: MomoMessage, result_code: int, **fields: object) -> dict[str, object]:
    return {"partnerCode": request.partner_code, "orderId": request.order_id, "requestId": request.request_id,
            "resultCode": result_code, "message": "Thành công." if result_code == api.SUCCESS else f"Error {result_code}",
            "responseTime": int(now_to_the_second().timestamp() * 1000), **fields}


def _expired_page() -> Response[str]:
    return html_response(message_page("MoMo", f"Đơn hàng đã hết hạn ({api.EXPIRED}): the order expired"), 400)


@post("/v2/gateway/api/create", sync_to_thread=False)
def create(data: JSONBody[CreatePaymentRequest], request: Request, state: State) -> dict[str, object]:
    sandbox: MomoSandbox = state.sandbox
    if not sandbox.verified(data):
        return _answer(data, BAD_SIGNATURE)
    if data.order_id in sandbox.orders:
        return _answer(data, api.DUPLICATE_ORDER_ID)
    if not MIN_AMOUNT <= data.amount <= MAX_AMOUNT:
        return _answer(data, BAD_REQUEST)
    minutes = DEFAULT_EXPIRE_MINUTES if data.order_expire_time is msgspec.UNSET else data.order_expire_time
    expires_at = datetime.now(UTC) + timedelta(seconds=minutes * sandbox.timing.minute_s)
    sandbox.orders[data.order_id] = _Order(request=data, expires_at=expires_at)
    pay_url = f"{public_base_url(request)}/pay?{urlencode({'orderId': data.order_id})}"
    app_link = f"momo://app?action=payWithApp&orderId={data.order_id}&partnerCode={data.partner_code}"
    return _answer(data, api.SUCCESS, amount=data.amount, payUrl=pay_url, deeplink=app_link, qrCodeUrl=app_link)


@get("/pay", sync_to_thread=False)
def payment_page(order_id: Annotated[str, QueryParameter(name="orderId")], state: State) -> Response[str]:
    sandbox: MomoSandbox = state.sandbox
    order = sandbox.order(order_id)
    if order is None:
        return html_response(message_page("MoMo", "Không tìm thấy đơn hàng: unknown order"), 404)
    if order.result_code == api.EXPIRED:
        return _expired_page()
    facts = {"Partner": order.request.partner_code, "Order": order_id, "Amount (VND)": str(order.request.amount),
             "Info": order.request.order_info}
    return html_response(outcome_page("MoMo", facts, "pay", {"orderId": order_id}))


@post("/pay", sync_to_thread=False)
def pay(data: URLEncodedBody[dict[str, str]], state: State) -> Response[str] | Redirect:
    sandbox: MomoSandbox = state.sandbox
    order = sandbox.order(data.get("orderId", ""))
    if order is not None and order.result_code == api.EXPIRED:
        return _expired_page()
    if order is None or order.result_code != WAITING:
        return html_response(message_page("MoMo", "Không có đơn hàng đang chờ: no pending order"), 404)
    scenario = chosen_scenario(data)
    if scenario is None:
        return unknown_scenario_page("MoMo")
    now = now_to_the_second()
    order.trans_id, order.response_time = sandbox.next_trans_id(), int(now.timestamp() * 1000)
    order.paid_minor = paid_amount_minor(scenario, order.request.amount, sandbox.timing)
    order.result_code = api.SUCCESS if scenario.pays else api.USER_DENIED
    if scenario.pays:
        sandbox.book.record("payment", attempt_ref=order.request.order_id, provider_ref=str(order.trans_id),
                            amount_minor=order.paid_minor, currency="VND", at=now)
    result = sign_message(PaymentResult(
        partner_code=order.request.partner_code, order_id=order.request.order_id, request_id=order.request.request_id,
        amount=order.paid_minor, order_info=order.request.order_info, order_type="momo_wallet",
        trans_id=order.trans_id, result_code=order.result_code,
        message="Thành công." if scenario.pays else "Giao dịch bị từ chối bởi người dùng.", pay_type="qr",
        response_time=order.response_time, extra_data=order.request.extra_data),
        sandbox.config.access_key, sandbox.config.secret_key)
    sandbox.notifier.schedule(plan_callbacks(scenario, sandbox.timing), order.request.ipn_url,
                              content=msgspec.json.encode(result), headers=lambda: {"content-type": "application/json"},
                              acknowledged=lambda response: response.status_code == 204)
    if scenario is Scenario.TIMEOUT:
        return html_response(message_page("MoMo", "Đang xử lý: the wallet has not answered yet"), 504)
    query = urlencode({k: str(v) for k, v in msgspec.to_builtins(result).items()})
    separator = "&" if "?" in order.request.redirect_url else "?"
    return Redirect(path=f"{order.request.redirect_url}{separator}{query}", status_code=302)


@post("/v2/gateway/api/query", sync_to_thread=False)
def query(data: JSONBody[QueryRequest], state: State) -> dict[str, object]:
    sandbox: MomoSandbox = state.sandbox
    if not sandbox.verified(data):
        return _answer(data, BAD_SIGNATURE)
    order = sandbox.order(data.order_id)
    if order is None:
        return _answer(data, api.ORDER_NOT_FOUND)
    return _answer(data, order.result_code, amount=order.paid_minor or order.request.amount,
                   transId=order.trans_id, payType="qr", refundTrans=msgspec.to_builtins(order.refunds))


@post("/v2/gateway/api/refund", sync_to_thread=False)
def refund(data: JSONBody[RefundRequest], state: State) -> dict[str, object]:
    sandbox: MomoSandbox = state.sandbox
    if not sandbox.verified(data):
        return _answer(data, BAD_SIGNATURE)
    if data.order_id in sandbox.orders or any(
            r.order_id == data.order_id for o in sandbox.orders.values() for r in o.refunds):
        return _answer(data, api.DUPLICATE_ORDER_ID)
    order = next((o for o in sandbox.orders.values() if o.trans_id == data.trans_id), None)
    if order is None or order.result_code != api.SUCCESS:
        return _answer(data, api.ORDER_NOT_FOUND)
    if not 0 < data.amount <= order.paid_minor - sum(r.amount for r in order.refunds):
        return _answer(data, api.REFUND_REJECTED)
    now = now_to_the_second()
    refunded = api.RefundTransaction(order_id=data.order_id, amount=data.amount, result_code=api.SUCCESS,
                                     trans_id=sandbox.next_trans_id(), created_time=int(now.timestamp() * 1000))
    order.refunds.append(refunded)
    sandbox.book.record("refund", attempt_ref=data.order_id, provider_ref=str(refunded.trans_id),
                        amount_minor=data.amount, currency="VND", at=now)
    return _answer(data, api.SUCCESS, amount=data.amount, transId=refunded.trans_id)


def create_sandbox_app(config: MomoConfig, *, timing: SandboxTiming = SandboxTiming(),
                       fee_basis_points: int = 150) -> Litestar:
    """MoMo takes the merchant's IPN URL in each create request, so none is configured here."""
    return sandbox_app(MomoSandbox(config, timing, fee_basis_points), [create, payment_page, pay, query, refund])
