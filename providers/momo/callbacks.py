"""MoMo's payment result — POSTed as JSON to ``ipnUrl``, appended as query parameters to
``redirectUrl`` — and the answers MoMo expects to an IPN."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from providers.errors import MalformedMessage, SignatureInvalid, UnknownMerchant
from providers.model import PaymentState
from providers.momo.api import PENDING_CODES, SUCCESS
from providers.momo.config import MomoConfig
from providers.momo.signing import PaymentResult, verify_message
from providers.protocol import CallbackAnswer, CallbackEvent, CallbackReply, InboundMessage

_decode_result = msgspec.json.Decoder(PaymentResult)

# MoMo reads 204 No Content as "received" and retries anything else. Every answer the
# gateway has decided (even a refusal it has recorded for finance) is final, so 204; a
# bad signature was never MoMo, and an error of ours should be retried.
_STATUS = {CallbackAnswer.INVALID_SIGNATURE: 400, CallbackAnswer.UNKNOWN_ERROR: 500}


def ipn_reply(answer: CallbackAnswer) -> CallbackReply:
    return CallbackReply(status_code=_STATUS.get(answer, 204), media_type="text/plain")


def read_payment_result(message: InboundMessage) -> PaymentResult:
    """The IPN's JSON body, or the redirect's query when there is no body."""
    try:
        if message.body:
            return _decode_result.decode(message.body)
        return msgspec.convert(dict(message.query), PaymentResult, strict=False)
    except (msgspec.DecodeError, msgspec.ValidationError) as problem:
        raise MalformedMessage(f"not a MoMo payment result: {problem}") from None


def parse_payment_result(message: InboundMessage, config: MomoConfig) -> CallbackEvent:
    result = read_payment_result(message)
    if not result.signature:
        raise SignatureInvalid("no signature")
    if not verify_message(result, config.access_key, config.secret_key):
        raise SignatureInvalid("signature does not match the payment result")
    if result.partner_code != config.partner_code:
        raise UnknownMerchant(f"partnerCode {result.partner_code!r} is not ours")
    if result.result_code == SUCCESS:
        outcome = PaymentState.SUCCEEDED
    elif result.result_code in PENDING_CODES:
        outcome = PaymentState.PENDING
    else:
        outcome = PaymentState.FAILED
    return CallbackEvent(
        provider="momo", event_key=f"momo:{result.order_id}:{result.trans_id}:{result.result_code}",
        attempt_ref=result.order_id, provider_ref=str(result.trans_id), amount_minor=result.amount,
        currency="VND", outcome=outcome,
        occurred_at=datetime.fromtimestamp(result.response_time / 1000, UTC),
        failure_code=None if outcome is PaymentState.SUCCEEDED else str(result.result_code),
        raw={key: str(value) for key, value in msgspec.to_builtins(result).items()})
