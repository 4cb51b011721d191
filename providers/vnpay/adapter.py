"""The VNPAY adapter: a signed redirect to start, the IPN and return URL to learn the
result, ``querydr`` and ``refund`` on the merchant API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx

from providers.errors import ProviderRejected, SignatureInvalid
from providers.http import call_provider, decode_json_answer, fetch_settlement_file
from providers.model import PaymentState, PaymentStatus, SettlementLine
from providers.protocol import (
    CallbackAnswer, CallbackEvent, CallbackReply, InboundMessage, PaymentQuery, Redirect, RefundRequest,
    RefundResult, RefundState, StartPayment,
)
from providers.vnpay import api, callbacks, settlement
from providers.vnpay.config import VnpayConfig
from providers.vnpay.signing import payment_url

# querydr's vnp_TransactionStatus, seen from the payment: refund states mean it was paid.
_PAYMENT_STATES = {api.PAID: PaymentState.SUCCEEDED, api.REFUND_PROCESSING: PaymentState.SUCCEEDED,
                   api.REFUND_SENT: PaymentState.SUCCEEDED, api.REFUND_REJECTED: PaymentState.SUCCEEDED,
                   api.INCOMPLETE: PaymentState.PENDING, api.ERROR: PaymentState.FAILED}
_REFUND_STATES = {api.PAID: RefundState.SUCCEEDED, api.REFUND_SENT: RefundState.SUCCEEDED,
                  api.REFUND_PROCESSING: RefundState.PENDING, api.REFUND_REJECTED: RefundState.FAILED}


class VnpayAdapter:
    code = "vnpay"

    def __init__(self, config: VnpayConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def start_payment(self, request: StartPayment) -> Redirect:
        if request.currency != "VND":
            raise ValueError(f"VNPAY takes VND only, not {request.currency}")
        params = {
            "vnp_Version": api.VERSION, "vnp_Command": "pay", "vnp_TmnCode": self.config.tmn_code,
            "vnp_Amount": api.to_vnp_amount(request.amount_minor), "vnp_CurrCode": "VND",
            "vnp_TxnRef": request.attempt_ref, "vnp_OrderInfo": request.description,
            "vnp_OrderType": self.config.order_type, "vnp_Locale": self.config.locale,
            "vnp_ReturnUrl": request.return_url, "vnp_IpAddr": request.client_ip,
            "vnp_CreateDate": api.format_time(request.created_at),
            "vnp_ExpireDate": api.format_time(self.expires_at(request.created_at)),
        }
        return Redirect(url=payment_url(self.config.payment_url, params, self.config.hash_secret))

    def expires_at(self, created_at: datetime) -> datetime:
        """The attempt's vnp_ExpireDate: after it VNPAY takes no payment for the order."""
        return created_at + timedelta(seconds=self.config.expire_after_s)

    def parse_callback(self, message: InboundMessage) -> CallbackEvent:
        return callbacks.parse_payment_result(message.query, self.config)

    def callback_reply(self, answer: CallbackAnswer) -> CallbackReply:
        return callbacks.ipn_reply(answer)

    async def query_payment(self, query: PaymentQuery) -> PaymentStatus:
        """VNPAY knows an order once the payer has opened its page. Until the order's
        vnp_ExpireDate the payer may still open it, so an order VNPAY has not seen is pending;
        after it, that order, and one opened but never paid, has expired."""
        answer = await self._querydr(query)
        expired = datetime.now(UTC) > self.expires_at(query.created_at)
        if answer["vnp_ResponseCode"] == api.NOT_FOUND:
            return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.FAILED if expired
                                 else PaymentState.PENDING, failure_code="expired" if expired else None)
        state = _PAYMENT_STATES.get(answer["vnp_TransactionStatus"], PaymentState.PENDING)
        never_paid = state is PaymentState.FAILED and not answer["vnp_PayDate"]
        return PaymentStatus(
            attempt_ref=query.attempt_ref, state=state, provider_ref=answer["vnp_TransactionNo"] or None,
            # Once refunded, querydr's amount is the refund's, not the payment's.
            amount_minor=api.from_vnp_amount(answer["vnp_Amount"]) if answer["vnp_TransactionType"] == api.PAYMENT
            else None, currency="VND",
            paid_at=api.parse_time(answer["vnp_PayDate"], "vnp_PayDate") if answer["vnp_PayDate"] else None,
            failure_code=("expired" if never_paid and expired else answer["vnp_TransactionStatus"])
            if state is PaymentState.FAILED else None)

    async def refund(self, request: RefundRequest) -> RefundResult:
        fields = {
            "vnp_RequestId": request.refund_ref, "vnp_Version": api.VERSION, "vnp_Command": "refund",
            "vnp_TmnCode": self.config.tmn_code,
            "vnp_TransactionType": api.FULL_REFUND if request.is_full else api.PARTIAL_REFUND,
            "vnp_TxnRef": request.attempt_ref, "vnp_Amount": api.to_vnp_amount(request.amount_minor),
            "vnp_TransactionNo": request.provider_ref,
            "vnp_TransactionDate": api.format_time(request.payment_created_at),
            "vnp_CreateBy": request.requested_by, "vnp_CreateDate": api.format_time(request.requested_at),
            "vnp_IpAddr": self.config.server_ip, "vnp_OrderInfo": request.reason,
        }
        answer = await self._post(fields, api.REFUND_FIELDS, api.REFUND_RESPONSE_FIELDS)
        code = answer["vnp_ResponseCode"]
        # 94: VNPAY already has a refund request with this id; only querydr says how it went.
        state = {api.OK: RefundState.SUCCEEDED, api.DUPLICATE: RefundState.PENDING}.get(code, RefundState.FAILED)
        return RefundResult(refund_ref=request.refund_ref, state=state, amount_minor=request.amount_minor,
                            currency=request.currency, provider_ref=answer["vnp_TransactionNo"] or None,
                            failure_code=None if state is not RefundState.FAILED else code)

    async def query_refund(self, request: RefundRequest) -> RefundResult:
        """querydr shows the payment's latest refund (type 02 or 03) with its status.
        A payment that shows no refund never received this one: FAILED, safe to retry."""
        query = PaymentQuery(attempt_ref=request.attempt_ref, created_at=request.payment_created_at)
        answer = await self._querydr(query)
        if answer["vnp_TransactionType"] not in (api.FULL_REFUND, api.PARTIAL_REFUND):
            return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED,
                                amount_minor=request.amount_minor, currency=request.currency,
                                failure_code="refund_not_found")
        return RefundResult(
            refund_ref=request.refund_ref,
            state=_REFUND_STATES.get(answer["vnp_TransactionStatus"], RefundState.PENDING),
            amount_minor=api.from_vnp_amount(answer["vnp_Amount"]), currency="VND",
            provider_ref=answer["vnp_TransactionNo"] or None)

    async def fetch_settlement(self, day: date) -> bytes:
        return await fetch_settlement_file(self._client, self.config.base_url, day)

    def parse_settlement(self, content: bytes) -> list[SettlementLine]:
        return settlement.parse_settlement(content)

    async def _querydr(self, query: PaymentQuery) -> dict[str, str]:
        attempt_ref = query.attempt_ref
        fields = {
            "vnp_RequestId": uuid.uuid4().hex, "vnp_Version": api.VERSION, "vnp_Command": "querydr",
            "vnp_TmnCode": self.config.tmn_code, "vnp_TxnRef": attempt_ref,
            "vnp_TransactionDate": api.format_time(query.created_at),
            "vnp_CreateDate": api.format_time(datetime.now(api.GMT7)),
            "vnp_IpAddr": self.config.server_ip, "vnp_OrderInfo": f"Truy van {attempt_ref}",
        }
        return await self._post(fields, api.QUERYDR_FIELDS, api.QUERYDR_RESPONSE_FIELDS)

    async def _post(self, fields: dict[str, str], order: tuple[str, ...],
                    answer_order: tuple[str, ...]) -> dict[str, str]:
        body = api.sign_api_message(fields, order, self.config.hash_secret)
        response = await call_provider(self._client, "POST", self.config.api_url, json=body,
                                       timeout_s=self.config.timeout_s)
        answer = decode_json_answer(response, dict[str, str])
        if not api.verify_api_message(answer, answer_order, self.config.hash_secret):
            raise SignatureInvalid(f"{fields['vnp_Command']} answer: vnp_SecureHash does not match")
        code = answer.get("vnp_ResponseCode", "")
        refusals = (api.BAD_CHECKSUM, api.BAD_MERCHANT, api.BAD_FORMAT)
        if code in refusals or (fields["vnp_Command"] == "querydr" and code not in (api.OK, api.NOT_FOUND)):
            raise ProviderRejected(code, answer.get("vnp_Message", ""))
        # Fields VNPAY leaves out are signed as empty; read them as empty too.
        return {name: "" for name in answer_order} | answer
