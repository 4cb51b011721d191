"""The MoMo adapter: create (payUrl, QR, deeplink), IPN and redirect results, query, refund."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import TypeVar

import httpx
import msgspec

from providers.errors import ProviderRejected
from providers.http import call_provider, decode_json_answer, fetch_settlement_file
from providers.model import PaymentState, PaymentStatus, SettlementLine
from providers.momo import api, callbacks, settlement
from providers.momo.config import MomoConfig
from providers.momo.signing import CreatePaymentRequest, QueryRequest, RefundRequest as MomoRefund, sign_message
from providers.protocol import (
    CallbackAnswer, CallbackEvent, CallbackReply, InboundMessage, PaymentQuery, QrCode, RefundRequest,
    RefundResult, RefundState, StartPayment,
)
from providers.qr import qr_svg

A = TypeVar("A", api.CreateAnswer, api.QueryAnswer, api.RefundAnswer)


def _refund_state(result_code: int) -> RefundState:
    if result_code == api.SUCCESS:
        return RefundState.SUCCEEDED
    return RefundState.PENDING if result_code in api.PENDING_CODES else RefundState.FAILED


class MomoAdapter:
    code = "momo"

    def __init__(self, config: MomoConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def start_payment(self, request: StartPayment) -> QrCode:
        if request.currency != "VND":
            raise ValueError(f"MoMo takes VND only, not {request.currency}")
        create = CreatePaymentRequest(
            partner_code=self.config.partner_code, request_id=request.attempt_ref, amount=request.amount_minor,
            order_id=request.attempt_ref, order_info=request.description, redirect_url=request.return_url,
            ipn_url=request.notify_url, request_type=self.config.request_type,
            order_expire_time=self.config.order_expire_minutes)
        answer = await self._post("create", create, api.CreateAnswer)
        if answer.result_code != api.SUCCESS:
            raise ProviderRejected(str(answer.result_code), answer.message)
        return QrCode(payload=answer.qr_code_url, svg=qr_svg(answer.qr_code_url), url=answer.pay_url,
                      deeplink=answer.deeplink or None)

    def parse_callback(self, message: InboundMessage) -> CallbackEvent:
        return callbacks.parse_payment_result(message, self.config)

    def callback_reply(self, answer: CallbackAnswer) -> CallbackReply:
        return callbacks.ipn_reply(answer)

    async def query_payment(self, query: PaymentQuery) -> PaymentStatus:
        answer = await self._query(query.attempt_ref)
        if answer.result_code == api.ORDER_NOT_FOUND:
            return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.UNKNOWN)
        if answer.result_code == api.SUCCESS:
            state = PaymentState.SUCCEEDED
        elif answer.result_code in api.PENDING_CODES:
            state = PaymentState.PENDING
        else:
            state = PaymentState.FAILED
        failure_code = "expired" if answer.result_code == api.EXPIRED else str(answer.result_code)
        return PaymentStatus(
            attempt_ref=query.attempt_ref, state=state, provider_ref=str(answer.trans_id) if answer.trans_id else None,
            amount_minor=answer.amount, currency="VND",
            paid_at=datetime.fromtimestamp(answer.response_time / 1000, UTC) if state is PaymentState.SUCCEEDED else None,
            failure_code=failure_code if state is PaymentState.FAILED else None)

    async def refund(self, request: RefundRequest) -> RefundResult:
        # MoMo refunds are orders of their own: the refund ref is their orderId.
        message = MomoRefund(partner_code=self.config.partner_code, order_id=request.refund_ref,
                             request_id=request.refund_ref, amount=request.amount_minor,
                             trans_id=int(request.provider_ref), description=request.reason)
        answer = await self._post("refund", message, api.RefundAnswer)
        # 41: MoMo already has this refund order; only a query says how it went.
        state = RefundState.PENDING if answer.result_code == api.DUPLICATE_ORDER_ID else _refund_state(answer.result_code)
        return RefundResult(refund_ref=request.refund_ref, state=state, amount_minor=request.amount_minor,
                            currency="VND", provider_ref=str(answer.trans_id) if answer.trans_id else None,
                            failure_code=str(answer.result_code) if state is RefundState.FAILED else None)

    async def query_refund(self, request: RefundRequest) -> RefundResult:
        """MoMo lists a payment's refunds in its query answer (``refundTrans``)."""
        answer = await self._query(request.attempt_ref)
        for refund in answer.refund_trans:
            if refund.order_id == request.refund_ref:
                state = _refund_state(refund.result_code)
                return RefundResult(refund_ref=request.refund_ref, state=state, amount_minor=refund.amount,
                                    currency="VND", provider_ref=str(refund.trans_id),
                                    failure_code=str(refund.result_code) if state is RefundState.FAILED else None)
        return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED, amount_minor=request.amount_minor,
                            currency="VND", failure_code="refund_not_found")

    async def fetch_settlement(self, day: date) -> bytes:
        return await fetch_settlement_file(self._client, self.config.base_url, day)

    def parse_settlement(self, content: bytes) -> list[SettlementLine]:
        return settlement.parse_settlement(content)

    async def _query(self, order_id: str) -> api.QueryAnswer:
        message = QueryRequest(partner_code=self.config.partner_code, request_id=uuid.uuid4().hex, order_id=order_id)
        return await self._post("query", message, api.QueryAnswer)

    async def _post(self, name: str, message: CreatePaymentRequest | QueryRequest | MomoRefund,
                    answer_type: type[A]) -> A:
        signed = sign_message(message, self.config.access_key, self.config.secret_key)
        response = await call_provider(self._client, "POST", self.config.endpoint(name),
                                       content=msgspec.json.encode(signed),
                                       headers={"content-type": "application/json"}, timeout_s=self.config.timeout_s)
        return decode_json_answer(response, answer_type)
