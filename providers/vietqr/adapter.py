"""The VietQR adapter: a dynamic EMVCo QR for a NAPAS 247 transfer to our account, the
bank's signed credit notification, and the bank's account API for status and returns.

A VietQR attempt's ``attempt_ref`` must come from :func:`new_reference` (the gateway
calls ``adapter.new_reference()``): it is what the payer's app copies into the transfer
description, and the only thing that ties a credit to its payment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import httpx
import msgspec

from providers.errors import MalformedMessage, ProviderRejected, UnknownMerchant
from providers.http import call_provider, decode_json_answer, fetch_settlement_file
from providers.model import PaymentState, PaymentStatus, SettlementLine
from providers.protocol import (
    CallbackAnswer, CallbackEvent, CallbackReply, InboundMessage, PaymentQuery, QrCode, RefundRequest,
    RefundResult, RefundState, StartPayment,
)
from providers.qr import qr_svg
from providers.vietqr import references, settlement
from providers.vietqr.bank_api import BankError, ReturnAnswer, ReturnRequest, SearchAnswer, SearchRequest
from providers.vietqr.config import VietqrConfig
from providers.vietqr.emvco import VietQR, encode_vietqr
from providers.vietqr.notification import CreditNotification, read_notification

T = TypeVar("T")
_RETURN_STATES = {"completed": RefundState.SUCCEEDED, "rejected": RefundState.FAILED}
# The bank retries a notification until it gets a 2xx. Money that arrived but matches
# nothing (not found, wrong amount) is still received: the gateway parks it in suspense.
_REPLY_STATUS = {CallbackAnswer.INVALID_SIGNATURE: 401, CallbackAnswer.UNKNOWN_ERROR: 500}


class VietqrAdapter:
    code = "vietqr"

    def __init__(self, config: VietqrConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    def new_reference(self) -> str:
        return references.new_reference(self.config.reference_prefix)

    def extract_references(self, description: str) -> tuple[str, ...]:
        return references.extract_references(description, self.config.reference_prefix)

    async def start_payment(self, request: StartPayment) -> QrCode:
        """Pure (nothing to call: the QR itself is the payment order); async for the Protocol."""
        if request.currency != "VND":
            raise ValueError(f"NAPAS 247 transfers are VND only, not {request.currency}")
        if not references.is_reference(request.attempt_ref, self.config.reference_prefix):
            raise ValueError(f"{request.attempt_ref!r} is not a VietQR reference: use new_reference()")
        payload = encode_vietqr(VietQR(acquirer_bin=self.config.acquirer_bin, account_number=self.config.account_number,
                                       amount_minor=request.amount_minor, purpose=request.attempt_ref))
        return QrCode(payload=payload, svg=qr_svg(payload))

    def parse_callback(self, message: InboundMessage) -> CallbackEvent:
        credit = read_notification(message.body, message.headers, self.config.webhook_secret)
        if credit.account_number != self.config.account_number:
            raise UnknownMerchant(f"credit to account {credit.account_number!r}, not ours")
        return self._credit_event(credit)

    async def find_credits(self, query: PaymentQuery) -> list[CallbackEvent]:
        """The credits on the account whose description names the attempt, as the events
        their notifications carry (the same ``event_key``): the gateway applies a credit it
        found by searching exactly as the notification it never got, and only once."""
        response = await self._call("POST", "/api/v1/transactions/search", SearchRequest(reference=query.attempt_ref))
        return [self._credit_event(credit) for credit in self._read(response, SearchAnswer).transactions]

    def _credit_event(self, credit: CreditNotification) -> CallbackEvent:
        if credit.currency != "VND":  # nothing could book it: our clearing account is in đồng
            raise MalformedMessage(f"a credit in {credit.currency!r} to a VND account")
        candidates = self.extract_references(credit.description)
        return CallbackEvent(
            provider="vietqr", event_key=f"vietqr:{credit.transaction_id}",
            attempt_ref=candidates[0] if len(candidates) == 1 else None, provider_ref=credit.transaction_id,
            amount_minor=credit.amount, currency=credit.currency, outcome=PaymentState.SUCCEEDED,
            occurred_at=credit.booking_time, reference_candidates=candidates,
            raw={key: str(value) for key, value in msgspec.to_builtins(credit).items()})

    def callback_reply(self, answer: CallbackAnswer) -> CallbackReply:
        status_code = _REPLY_STATUS.get(answer, 200)
        code = "00" if status_code == 200 else str(status_code)
        return CallbackReply(status_code=status_code, body=msgspec.json.encode({"code": code, "message": answer.value}))

    async def query_payment(self, query: PaymentQuery) -> PaymentStatus:
        """Paid once a credit carrying the reference is on the account. A QR nobody paid is
        unknown to the bank, which has no order to expire: it is pending until
        ``expire_after_s`` after the attempt, then failed as expired (a credit that still
        comes later is booked all the same: the money is ours to give back)."""
        return self.status_from_credits(query, await self.find_credits(query))

    def status_from_credits(self, query: PaymentQuery, credits: list[CallbackEvent]) -> PaymentStatus:
        """The payment's status, given the credits that carry its reference (find_credits)."""
        if credits:
            first = credits[0]  # a second credit with the same reference is a double payment: the gateway's
            return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.SUCCEEDED,
                                 provider_ref=first.provider_ref, amount_minor=first.amount_minor,
                                 currency=first.currency, paid_at=first.occurred_at)
        if datetime.now(UTC) > query.created_at + timedelta(seconds=self.config.expire_after_s):
            return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.FAILED, failure_code="expired")
        return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.PENDING)

    async def refund(self, request: RefundRequest) -> RefundResult:
        order = ReturnRequest(transaction_id=request.provider_ref, amount=request.amount_minor,
                              reference=request.refund_ref, description=f"Hoan tien {request.attempt_ref}")
        response = await self._call("POST", "/api/v1/returns", order)
        if response.status_code in (404, 409, 422):
            error = decode_json_answer(response, BankError)
            # 409: the bank already has a return with this reference; query it.
            state = RefundState.PENDING if response.status_code == 409 else RefundState.FAILED
            return RefundResult(refund_ref=request.refund_ref, state=state, amount_minor=request.amount_minor,
                                currency=request.currency, failure_code=error.code if state is RefundState.FAILED else None)
        return self._result(self._read(response, ReturnAnswer))

    async def query_refund(self, request: RefundRequest) -> RefundResult:
        response = await self._call("GET", f"/api/v1/returns/{request.refund_ref}")
        if response.status_code == 404:
            return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED,
                                amount_minor=request.amount_minor, currency=request.currency,
                                failure_code="refund_not_found")
        return self._result(self._read(response, ReturnAnswer))

    async def fetch_settlement(self, day: date) -> bytes:
        return await fetch_settlement_file(self._client, self.config.base_url, day,
                                           headers={"authorization": f"Bearer {self.config.api_key}"})

    def parse_settlement(self, content: bytes) -> list[SettlementLine]:
        return settlement.parse_settlement(content, self.config.reference_prefix)

    @staticmethod
    def _result(answer: ReturnAnswer) -> RefundResult:
        state = _RETURN_STATES.get(answer.status, RefundState.PENDING)
        return RefundResult(refund_ref=answer.reference, state=state, amount_minor=answer.amount, currency="VND",
                            provider_ref=answer.return_id or None, failure_code=answer.failure_code)

    async def _call(self, method: str, path: str, body: msgspec.Struct | None = None) -> httpx.Response:
        return await call_provider(
            self._client, method, f"{self.config.base_url}{path}", timeout_s=self.config.timeout_s,
            content=None if body is None else msgspec.json.encode(body),
            headers={"authorization": f"Bearer {self.config.api_key}", "content-type": "application/json"})

    @staticmethod
    def _read(response: httpx.Response, kind: type[T]) -> T:
        if response.status_code >= 400:
            error = decode_json_answer(response, BankError)
            raise ProviderRejected(error.code, error.message)
        return decode_json_answer(response, kind)
