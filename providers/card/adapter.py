"""The card adapter: Stripe's PaymentIntents confirmed at once with a PaymentMethod,
Stripe-signed webhook Events, Refunds, and the balance report as settlement file."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TypeVar

import httpx
import msgspec

from providers.card import settlement
from providers.card.config import CardConfig
from providers.card.objects import ErrorBody, Event, PaymentIntent, PaymentIntentList, Refund, RefundList
from providers.card.webhook import verify_signature_header
from providers.errors import MalformedMessage, ProviderRejected, UnknownMerchant
from providers.http import call_provider, decode_json_answer, fetch_settlement_file
from providers.model import PaymentState, PaymentStatus, SettlementLine
from providers.protocol import (
    CallbackAnswer, CallbackEvent, CallbackReply, CardResult, InboundMessage, PaymentQuery, RefundRequest,
    RefundResult, RefundState, StartPayment,
)

T = TypeVar("T")
_decode_event = msgspec.json.Decoder(Event)
_STATES = {"succeeded": PaymentState.SUCCEEDED, "requires_payment_method": PaymentState.FAILED,
           "canceled": PaymentState.FAILED}
_REFUND_STATES = {"succeeded": RefundState.SUCCEEDED, "failed": RefundState.FAILED, "canceled": RefundState.FAILED}
PAYMENT_EVENTS = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed"})
# Stripe retries a webhook until it gets a 2xx. Decided answers are final (2xx); a bad
# signature was never Stripe; an error of ours should be retried.
_REPLY_STATUS = {CallbackAnswer.INVALID_SIGNATURE: 400, CallbackAnswer.UNKNOWN_ERROR: 500}


def _state(intent: PaymentIntent) -> PaymentState:
    return _STATES.get(intent.status, PaymentState.PENDING)


def _failure_code(intent: PaymentIntent) -> str | None:
    error = intent.last_payment_error or {}
    return error.get("decline_code") or error.get("code")


class CardAdapter:
    code = "card"

    def __init__(self, config: CardConfig, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def start_payment(self, request: StartPayment) -> CardResult:
        if not request.payment_method:
            raise ValueError("a card payment needs a payment_method (pm_…)")
        form = {"amount": str(request.amount_minor), "currency": request.currency.lower(), "confirm": "true",
                "payment_method": request.payment_method, "description": request.description,
                "return_url": request.return_url, "metadata[attempt_ref]": request.attempt_ref}
        response = await self._call("POST", "/v1/payment_intents", data=form,
                                    headers={"Idempotency-Key": f"start-{request.attempt_ref}"})
        if response.status_code == 402:  # a card error: the intent exists and carries the decline
            error = decode_json_answer(response, ErrorBody).error
            if error.payment_intent is None:
                raise MalformedMessage("card error without its payment_intent")
            return CardResult(provider_ref=error.payment_intent.id, state=PaymentState.FAILED,
                              failure_code=error.code, decline_code=error.decline_code)
        intent = self._read(response, PaymentIntent)
        state = _state(intent)
        return CardResult(provider_ref=intent.id, state=state, currency=intent.currency.upper(),
                          amount_minor=intent.amount_received if state is PaymentState.SUCCEEDED else None)

    def parse_callback(self, message: InboundMessage) -> CallbackEvent:
        verify_signature_header(message.body, message.headers.get("stripe-signature"), self.config.webhook_secret,
                                self.config.webhook_tolerance_s, int(time.time()))
        try:
            event = _decode_event.decode(message.body)
        except (msgspec.DecodeError, msgspec.ValidationError) as problem:
            raise MalformedMessage(f"not a payment_intent event: {problem}") from None
        if event.account != self.config.account_id:
            raise UnknownMerchant(f"event for account {event.account!r}, not ours")
        if event.type not in PAYMENT_EVENTS:
            raise MalformedMessage(f"event type {event.type!r} is not a payment result")
        intent = event.data.object
        succeeded = event.type == "payment_intent.succeeded"
        return CallbackEvent(
            provider="card", event_key=f"card:{event.id}", attempt_ref=intent.metadata.get("attempt_ref"),
            provider_ref=intent.id, amount_minor=intent.amount_received if succeeded else intent.amount,
            currency=intent.currency.upper(), outcome=PaymentState.SUCCEEDED if succeeded else PaymentState.FAILED,
            occurred_at=datetime.fromtimestamp(event.created, UTC),
            failure_code=None if succeeded else _failure_code(intent),
            raw={"id": event.id, "type": event.type, "account": event.account or "", "payment_intent": intent.id,
                 "amount": str(intent.amount), "amount_received": str(intent.amount_received),
                 "currency": intent.currency, "status": intent.status})

    def callback_reply(self, answer: CallbackAnswer) -> CallbackReply:
        return CallbackReply(status_code=_REPLY_STATUS.get(answer, 200), body=b'{"received": true}')

    async def query_payment(self, query: PaymentQuery) -> PaymentStatus:
        if query.provider_ref:
            intent: PaymentIntent | None = self._read(
                await self._call("GET", f"/v1/payment_intents/{query.provider_ref}"), PaymentIntent)
        else:  # the create call timed out before we learned the id: find it by our reference
            found = self._read(await self._call("GET", "/v1/payment_intents/search", params={
                "query": f"metadata['attempt_ref']:'{query.attempt_ref}'"}), PaymentIntentList)
            intent = found.data[0] if found.data else None
        if intent is None:
            return PaymentStatus(attempt_ref=query.attempt_ref, state=PaymentState.UNKNOWN)
        state = _state(intent)
        return PaymentStatus(
            attempt_ref=query.attempt_ref, state=state, provider_ref=intent.id,
            amount_minor=intent.amount_received if state is PaymentState.SUCCEEDED else intent.amount,
            currency=intent.currency.upper(),
            failure_code=_failure_code(intent) if state is PaymentState.FAILED else None,
            paid_at=datetime.fromtimestamp(intent.created, UTC) if state is PaymentState.SUCCEEDED else None)

    async def refund(self, request: RefundRequest) -> RefundResult:
        form = {"payment_intent": request.provider_ref, "amount": str(request.amount_minor),
                "metadata[refund_ref]": request.refund_ref, "reason": "requested_by_customer"}
        response = await self._call("POST", "/v1/refunds", data=form, headers={"Idempotency-Key": request.refund_ref})
        if response.status_code == 400:
            error = decode_json_answer(response, ErrorBody).error
            return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED,
                                amount_minor=request.amount_minor, currency=request.currency,
                                failure_code=error.code or error.type)
        return self._refund_result(request.refund_ref, self._read(response, Refund))

    async def query_refund(self, request: RefundRequest) -> RefundResult:
        refunds = self._read(await self._call("GET", "/v1/refunds", params={
            "payment_intent": request.provider_ref, "limit": "100"}), RefundList)
        for refund in refunds.data:
            if refund.metadata.get("refund_ref") == request.refund_ref:
                return self._refund_result(request.refund_ref, refund)
        return RefundResult(refund_ref=request.refund_ref, state=RefundState.FAILED, amount_minor=request.amount_minor,
                            currency=request.currency, failure_code="refund_not_found")

    async def fetch_settlement(self, day: date) -> bytes:
        return await fetch_settlement_file(self._client, self.config.base_url, day,
                                           headers={"Authorization": f"Bearer {self.config.secret_key}"})

    def parse_settlement(self, content: bytes) -> list[SettlementLine]:
        return settlement.parse_settlement(content)

    @staticmethod
    def _refund_result(refund_ref: str, refund: Refund) -> RefundResult:
        state = _REFUND_STATES.get(refund.status, RefundState.PENDING)
        return RefundResult(refund_ref=refund_ref, state=state, amount_minor=refund.amount,
                            currency=refund.currency.upper(), provider_ref=refund.id,
                            failure_code=refund.failure_reason if state is RefundState.FAILED else None)

    async def _call(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                    data: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None) -> httpx.Response:
        return await call_provider(self._client, method, f"{self.config.base_url}{path}", data=data, params=params,
                                   headers={"Authorization": f"Bearer {self.config.secret_key}", **(headers or {})},
                                   timeout_s=self.config.timeout_s)

    @staticmethod
    def _read(response: httpx.Response, kind: type[T]) -> T:
        if response.status_code >= 400:
            error = decode_json_answer(response, ErrorBody).error
            raise ProviderRejected(error.code or error.type, error.message)
        return decode_json_answer(response, kind)
